/**
 * launch.html's only job: forward the EHR's `iss` and `launch` to the server-side launch, replacing this page in
 * history so Back does not re-launch. Only those two parameters are carried; anything else is dropped.
 */
const incoming = new URLSearchParams(window.location.search);
const outgoing = new URLSearchParams();
for (const name of ['iss', 'launch']) {
  for (const value of incoming.getAll(name)) {
    outgoing.append(name, value);
  }
}
window.location.replace(`/launch?${outgoing.toString()}`);
