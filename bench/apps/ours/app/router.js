module.exports = require('../../shared/router.cjs');
