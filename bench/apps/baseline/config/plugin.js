// the limit: egg with no session plugin at all
module.exports = {
  session: { enable: false },
};
