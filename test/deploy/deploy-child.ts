// Runs one deploy in its own process so a test can SIGKILL the client mid-deploy.
import { readFileSync } from 'node:fs';
import { deployHost } from '../../src/deploy/index.js';

const { target, options } = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const report = await deployHost(target, options, (event) => process.stdout.write(JSON.stringify(event) + '\n'));
process.stdout.write(JSON.stringify({ report }) + '\n');
