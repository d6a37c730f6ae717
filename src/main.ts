import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.js';
import { AppConfig } from './config/app-config.js';

const app = await createApp();
const { port } = app.get(AppConfig);
await app.listen(port);
new Logger('Bootstrap').log(`listening on port ${port}`);
