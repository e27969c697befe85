#!/usr/bin/env node
// Runs the reference Bluesky PDS on loopback for tests and local development,
// with an in-memory PLC directory so nothing ever reaches plc.directory.
//
// Prints `PDS_READY http://127.0.0.1:PORT` once both servers accept requests.
// See README.md for the environment variables.
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { PlcServer, Database: PlcDatabase } = require('@did-plc/server')
const { PDS, envToCfg, envToSecrets, readEnv } = require('@atproto/pds')

const BIND_HOST = process.env.PDS_BIND_HOST || '127.0.0.1'

// The PLC directory lives in memory, so accounts in an old data directory would
// point at DIDs nobody can resolve: a fresh directory per process avoids that.
let ownedDataDir = null
if (!process.env.PDS_DATA_DIRECTORY) {
  ownedDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-pds-'))
  process.env.PDS_DATA_DIRECTORY = ownedDataDir
}
const dataDir = process.env.PDS_DATA_DIRECTORY
fs.mkdirSync(dataDir, { recursive: true })

const defaults = {
  PDS_PORT: '2583',
  PDS_HOSTNAME: 'localhost', // handles then end in `.test`
  PDS_DEV_MODE: 'true',
  PDS_INVITE_REQUIRED: 'false',
  PDS_RATE_LIMITS_ENABLED: 'false',
  PDS_BLOBSTORE_DISK_LOCATION: path.join(dataDir, 'blobs'),
  PDS_JWT_SECRET: crypto.randomBytes(16).toString('hex'),
  PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: crypto.randomBytes(32).toString('hex'),
}
for (const [name, value] of Object.entries(defaults)) {
  if (!process.env[name]) process.env[name] = value
}
if (!process.env.PDS_ADMIN_PASSWORD) {
  process.env.PDS_ADMIN_PASSWORD = crypto.randomBytes(12).toString('hex')
  console.error(`admin password: ${process.env.PDS_ADMIN_PASSWORD}`)
}

// Both servers call `app.listen(port)`, which would bind every interface.
function bindToLoopback(app) {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, BIND_HOST, ...rest)
}

let plc = null
let pds = null
let stopping = false

async function main() {
  plc = PlcServer.create({
    db: PlcDatabase.mock(),
    port: Number(process.env.PDS_PLC_PORT || 0),
  })
  bindToLoopback(plc.app)
  const plcServer = await plc.start()
  process.env.PDS_DID_PLC_URL = `http://${BIND_HOST}:${plcServer.address().port}`

  const env = readEnv()
  pds = await PDS.create(envToCfg(env), envToSecrets(env))
  bindToLoopback(pds.app)
  const server = await pds.start()
  console.log(`PDS_READY http://${BIND_HOST}:${server.address().port}`)
}

async function shutdown(code) {
  if (stopping) return
  stopping = true
  try {
    await pds?.destroy()
    await plc?.destroy()
  } catch (err) {
    console.error('error while stopping:', err)
    code = code || 1
  }
  if (ownedDataDir) fs.rmSync(ownedDataDir, { recursive: true, force: true })
  process.exit(code)
}

process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))

// A test runner that dies without signalling us closes our stdin; without
// this the server would outlive it and keep the port.
if (process.env.PDS_EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', () => shutdown(0))
  process.stdin.on('error', () => shutdown(0))
  process.stdin.resume()
}

main().catch((err) => {
  console.error('PDS failed to start:', err)
  shutdown(1)
})
