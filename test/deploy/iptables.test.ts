import { defineDeployScenarios } from './scenarios.js';

defineDeployScenarios('iptables');
