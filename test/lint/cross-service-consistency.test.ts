import { ruleCases, service } from './support.js';

const app = (egress: string) => service('app', `egress:\n${egress}`, '[web-01]');
const db = (ingress: string) => service('db', `ingress:\n${ingress}`, '[db-01]');

ruleCases('cross-service-consistency', {
  valid: [
    {
      name: 'both sides agree',
      files: { 'services/app.yaml': app('  - to: service:db\n    ports: [tcp/5432]\n'), 'services/db.yaml': db('  - from: service:app\n    ports: [tcp/5432]\n') },
      expected: [],
    },
    {
      name: 'the other side accepts a network that holds the sender',
      files: { 'services/app.yaml': app('  - to: service:db\n    ports: [tcp/5432]\n'), 'services/db.yaml': db('  - from: 203.0.113.0/24\n    ports: [tcp/5432]\n') },
      expected: [],
    },
  ],
  invalid: [
    {
      name: 'egress without ingress, reported on both sides',
      files: { 'services/app.yaml': app('  - to: service:db\n    ports: [tcp/5432]\n'), 'services/db.yaml': db('  - from: office\n    ports: [tcp/5432]\n') },
      expected: ['services/app.yaml:6:5 noIngress', 'services/db.yaml:1:1 otherSideIngress'],
    },
    {
      name: 'ingress without egress, reported on both sides',
      files: { 'services/app.yaml': app('  - to: office\n    ports: [https]\n'), 'services/db.yaml': db('  - from: service:app\n    ports: [tcp/5432]\n') },
      expected: ['services/app.yaml:1:1 otherSideEgress', 'services/db.yaml:6:5 noEgress'],
    },
  ],
});
