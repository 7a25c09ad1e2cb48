// Calls TCR DuplicateImage through Tencent's official Node.js SDK, so the
// emulator's signature check is proven against a signer we did not write.
// Usage: node duplicate.js PORT SECRET_ID SECRET_KEY PARAMS_JSON
// Prints {"requestId": …} or {"code": …, "requestId": …} and exits 0.
const dns = require("dns");

// The SDK derives the signing service from the endpoint's first label, so
// it needs a host name, not 127.0.0.1: resolve *.localtest to loopback.
const lookup = dns.lookup;
dns.lookup = function (host, opts, cb) {
  if (typeof opts === "function") [cb, opts] = [opts, {}];
  if (host.endsWith(".localtest")) {
    return opts && opts.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4);
  }
  return lookup.call(this, host, opts, cb);
};

const { Client } = require("tencentcloud-sdk-nodejs/tencentcloud/services/tcr/v20190924/tcr_client");

const [port, secretId, secretKey, params] = process.argv.slice(2);
const client = new Client({
  credential: { secretId, secretKey },
  region: "ap-guangzhou",
  profile: {
    language: "en-US",
    httpProfile: { endpoint: `tcr.localtest:${port}`, protocol: "http://", reqTimeout: 10 },
  },
});

client.DuplicateImage(JSON.parse(params)).then(
  (resp) => console.log(JSON.stringify({ requestId: resp.RequestId })),
  (err) => console.log(JSON.stringify({ code: err.code || "", requestId: err.requestId || "", message: err.message })),
);
