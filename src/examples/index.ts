/**
 * src/examples: the seeds' classic Erlang programs ported to beamjs (ping-pong, the ring, a
 * key-value server on the process dictionary, a message-stack cache, chat routing over an ETS
 * table with one gen_server per user). Importing this file
 * defines their modules (pass it in VM.start({ modules })).
 */
export { PING_PONG } from './ping_pong.js';
export { RING } from './ring.js';
export { KVS_MODULE, store, lookup } from './kvs.js';
export { MSG_STACK_CACHE, push, pop, peek, size, stop } from './msg_stack_cache.js';
export { FIB_BATCH, fib } from './fib_batch.js';
export { CHAT_SUP, CHAT_ROUTE, CHAT_USERS, ROUTES, routeOf, registerUser, startUser } from './chat_route.js';
export { CHAT_USER, CHAT_CLIENT } from './chat_user.js';
