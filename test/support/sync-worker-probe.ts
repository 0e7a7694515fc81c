// A SyncWorker module for test/util/worker-pool.test.ts: doubles numbers; 'throw' throws while
// answering, 'exit' ends the worker thread, 'crash' throws outside the answer (an uncaught error).
import { serveSync } from '../../src/util/worker-pool.js';

serveSync((item: number | string) => {
  if (item === 'throw') throw new Error('cannot answer this');
  if (item === 'exit') process.exit(3);
  if (item === 'crash') {
    queueMicrotask(() => { throw new Error('uncaught'); });
    return 'answered before the crash';
  }
  return (item as number) * 2;
});
