module.exports = require('../../shared/config.cjs');
