import { ActivityEvent } from './activity-event.entity';
import { Attachment } from './attachment.entity';
import { BlockedDomain } from './blocked-domain.entity';
import { Chatbot } from './chatbot.entity';
import { Comment } from './comment.entity';
import { DiscussionReader } from './discussion-reader.entity';
import { Discussion } from './discussion.entity';
import { Document } from './document.entity';
import { Export } from './export.entity';
import { GroupStatistic } from './group-statistic.entity';
import { Group } from './group.entity';
import { Identity } from './identity.entity';
import { Import } from './import.entity';
import { LoginToken } from './login-token.entity';
import { MailDelivery } from './mail-delivery.entity';
import { MembershipRequest } from './membership-request.entity';
import { Membership } from './membership.entity';
import { Notification } from './notification.entity';
import { Outcome } from './outcome.entity';
import { PollOption } from './poll-option.entity';
import { Poll } from './poll.entity';
import { ReceivedEmail } from './received-email.entity';
import { SearchDocument } from './search-document.entity';
import { StanceChoice } from './stance-choice.entity';
import { Stance } from './stance.entity';
import { Tag } from './tag.entity';
import { TaskUser } from './task-user.entity';
import { Task } from './task.entity';
import { User } from './user.entity';
import { Version } from './version.entity';

export * from './activity-event.entity';
export * from './attachment.entity';
export * from './blocked-domain.entity';
export * from './chatbot.entity';
export { bigintArrayAsNumbers, bigintAsNumber } from './column-helpers';
export * from './comment.entity';
export * from './discussion-reader.entity';
export * from './discussion.entity';
export * from './document.entity';
export * from './export.entity';
export * from './group-statistic.entity';
export * from './group.entity';
export * from './identity.entity';
export * from './import.entity';
export * from './login-token.entity';
export * from './mail-delivery.entity';
export * from './membership-request.entity';
export * from './membership.entity';
export * from './notification.entity';
export * from './outcome.entity';
export * from './poll-option.entity';
export * from './poll.entity';
export * from './received-email.entity';
export * from './search-document.entity';
export * from './stance-choice.entity';
export * from './stance.entity';
export * from './tag.entity';
export * from './task-user.entity';
export * from './task.entity';
export * from './user.entity';
export * from './version.entity';

/** Every domain entity, listed explicitly so a bundled or compiled app finds them all (no globs). */
export const DomainEntities = [
  User,
  Group,
  Membership,
  MembershipRequest,
  Discussion,
  DiscussionReader,
  Comment,
  Poll,
  PollOption,
  Stance,
  StanceChoice,
  Outcome,
  ActivityEvent,
  Notification,
  Task,
  TaskUser,
  Chatbot,
  LoginToken,
  ReceivedEmail,
  Document,
  Attachment,
  Identity,
  Version,
  Export,
  Import,
  BlockedDomain,
  MailDelivery,
  SearchDocument,
  GroupStatistic,
  Tag,
];
