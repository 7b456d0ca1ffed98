import { Controller, Get, HttpException, HttpStatus, Inject, Param, Query, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER, ObjectFiles } from '@lib/jetstream';
import { EXPORTER_CONFIG, type ExporterConfig } from '../config';
import { EXPORT_FILES } from '../object-buckets';
import { DownloadLinks } from './download-link';

/** Serves a finished export to whoever holds its signed link (the requester got it by e-mail). */
@Controller('exports')
export class ExportDownloadController {
  private readonly links: DownloadLinks;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(EXPORT_FILES) private readonly files: ObjectFiles,
    @Inject(EXPORTER_CONFIG) config: ExporterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.links = new DownloadLinks(config.EXPORT_LINK_SECRET);
  }

  @Get(':id/download')
  async download(
    @Param('id') id: string,
    @Query('expires') expires: string | undefined,
    @Query('signature') signature: string | undefined,
    @Res() response: ServerResponse,
  ): Promise<void> {
    if (!/^\d{1,18}$/.test(id)) throw new HttpException('Unknown export', HttpStatus.NOT_FOUND);
    const exportId = Number(id);
    const check = this.links.check(exportId, expires, signature);
    if (check !== 'valid') {
      throw new HttpException(
        check === 'expired' ? 'This download link has expired' : 'Invalid download link',
        HttpStatus.FORBIDDEN,
      );
    }
    const [row] = (await this.dataSource.query(
      `SELECT group_id, format, object_key FROM exports WHERE id = $1 AND status = 'completed'`,
      [exportId],
    )) as { group_id: string; format: string; object_key: string | null }[];
    const download = row?.object_key ? await this.files.get(row.object_key) : null;
    if (!row || !download) throw new HttpException('Unknown export', HttpStatus.NOT_FOUND);
    response.statusCode = 200;
    response.setHeader('Content-Type', download.contentType ?? 'application/octet-stream');
    response.setHeader('Content-Length', String(download.size));
    response.setHeader(
      'Content-Disposition',
      `attachment; filename="group-${row.group_id}-export-${exportId}.${row.format}"`,
    );
    response.setHeader('Cache-Control', 'private, no-store');
    // pipeline: a client that goes away also stops the read from the object store.
    pipeline(download.stream, response, (error) => {
      if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.error({ err: error, exportId }, 'export download failed');
      }
    });
  }
}
