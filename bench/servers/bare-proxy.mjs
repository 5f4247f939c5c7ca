// The floor for one HTTP hop in Node: a reverse proxy with no logic at all (node:http server,
// node:http client on a keep-alive agent, the answer piped back), in front of the URL given as
// its argument. The proxy bench measures it beside Grantkeeper's proxy: what any Node proxy
// costs on this machine, before authentication, tokens, checks and metrics.
import http from 'node:http';

const target = new URL(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const headers = { ...req.headers };
  delete headers.host;
  delete headers.connection;
  const out = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'bare proxy listening', url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
