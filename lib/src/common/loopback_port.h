// Free loopback ports for the servers meowmx starts (dev-db, the tests'
// throwaway servers). Chosen below the kernel's ephemeral range
// (ip_local_port_range, 32768 and up), where outgoing connections take their
// local ports: a crashed server's port is then not taken by some client's
// connection before the server comes back on it.
#ifndef MEOWMX_SRC_COMMON_LOOPBACK_PORT_H_
#define MEOWMX_SRC_COMMON_LOOPBACK_PORT_H_

namespace meowmx::internal {

// Binds 127.0.0.1:port and releases it; true when it could be bound.
// SO_REUSEADDR as servers set it, so a port whose old connections linger in
// TIME-WAIT counts as free.
bool loopback_port_free(int port);

// A random port in [20000, 32768) that is free now. Throws Error when none
// of many tries is.
int free_loopback_port();

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_COMMON_LOOPBACK_PORT_H_
