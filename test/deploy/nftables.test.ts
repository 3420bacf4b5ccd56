import { defineDeployScenarios } from './scenarios.js';

defineDeployScenarios('nftables');
