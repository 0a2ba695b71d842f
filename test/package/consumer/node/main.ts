import { run } from '../src/api.js';

const [url, email] = process.argv.slice(2);
if (!url || !email) throw new Error('usage: main.js <url> <email>');
console.log(JSON.stringify(await run(url, email)));
