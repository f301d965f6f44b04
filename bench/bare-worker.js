// The benchmark's baseline: a Worker that forwards every request to the origin and checks nothing.
export default {
  fetch(request, env) {
    return fetch(env.ORIGIN, { method: request.method, headers: request.headers, body: request.body });
  },
};
