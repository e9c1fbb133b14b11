// Starts fauxqs (SNS, SQS and S3 emulator) on the loopback interface only.
//
// fauxqs's own CLI listens on 0.0.0.0. This launcher builds the same Fastify
// app from the pinned package and binds it to 127.0.0.1, so nothing outside
// the machine can reach it.
//
// Usage: node fauxqs.mjs <fauxqs package dir> <port>
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pkgDir, portArg] = process.argv.slice(2);
if (!pkgDir || !portArg) {
  console.error("usage: node fauxqs.mjs <fauxqs package dir> <port>");
  process.exit(2);
}
const dist = (p) => pathToFileURL(path.join(pkgDir, "dist", p)).href;

const { buildApp } = await import(dist("app.js"));
const { SqsStore } = await import(dist("sqs/sqsStore.js"));
const { SnsStore } = await import(dist("sns/snsStore.js"));
const { S3Store } = await import(dist("s3/s3Store.js"));

const app = buildApp({
  logger: process.env.FAUXQS_LOGGER === "true",
  host: process.env.FAUXQS_HOST,
  defaultRegion: process.env.FAUXQS_DEFAULT_REGION,
  stores: { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() },
});
const address = await app.listen({ port: Number(portArg), host: "127.0.0.1" });
console.log(`fauxqs listening on ${address}`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => app.close().then(() => process.exit(0)));
}
