import { Controller, Get, Res } from '@nestjs/common';
import type { HttpResponse } from '../auth/http-types';
import { DashboardCss, DashboardJs } from '../views/assets';

/** The stylesheet and script, public (the login page needs them) and cacheable. */
@Controller('assets')
export class AssetsController {
  @Get('dashboard.css')
  css(@Res() response: HttpResponse): void {
    response.setHeader('Cache-Control', 'public, max-age=3600');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.type('text/css; charset=utf-8').send(DashboardCss);
  }

  @Get('dashboard.js')
  js(@Res() response: HttpResponse): void {
    response.setHeader('Cache-Control', 'public, max-age=3600');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.type('text/javascript; charset=utf-8').send(DashboardJs);
  }
}
