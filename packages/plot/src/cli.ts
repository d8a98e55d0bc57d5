#!/usr/bin/env node
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from './server.js';

const usage = `tsgrad-plot: the live dashboard for tsgrad training plots

  tsgrad-plot [--port 8097] [--host 127.0.0.1] [--dir ~/.tsgrad-plot] [--token T] [--no-save]

  --port     port to listen on (default 8097; 0 picks a free one). Clients find it through
             new PlotClient({ url }) or TSGRAD_PLOT_URL=http://127.0.0.1:PORT
  --host     address to bind; anything but loopback needs --token (or TSGRAD_PLOT_TOKEN)
  --token    a secret every request must carry; open the page as http://HOST:PORT/?token=T
  --dir      where environments are saved and found again after a restart
  --no-save  keep environments in memory only`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        dir: { type: 'string' },
        'no-save': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = values.port === undefined ? 8097 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`tsgrad-plot: --port must be an integer in 0..65535, got ${values.port}`);
    process.exit(2);
  }
  const token = values.token ?? process.env.TSGRAD_PLOT_TOKEN;
  const server = await startServer({
    host: values.host ?? '127.0.0.1',
    port,
    ...(token ? { token } : {}),
    ...(values['no-save'] ? {} : { dir: values.dir ?? join(homedir(), '.tsgrad-plot') }),
  });
  console.log(`tsgrad-plot: dashboard at ${server.url}/${token ? '?token=<your token>' : ''}`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
