import { ensureBinary } from './global-setup.js';

/** The cluster test also needs Debian's `haproxy` (the balancer of deploy/haproxy.cfg). */
export default function setup(): void {
  ensureBinary('redis-server', 'redis-server', 'brew install redis');
  ensureBinary('haproxy', 'haproxy', 'brew install haproxy');
}
