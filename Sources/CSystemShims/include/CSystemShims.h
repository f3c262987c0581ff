#ifndef CSYSTEMSHIMS_H
#define CSYSTEMSHIMS_H
#include <stdint.h>

/// Asks the kernel to send `signal` to this process when its parent dies (prctl is variadic, so Swift cannot call it).
int sim_set_parent_death_signal(int signal);
/// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call before other threads start) and returns a signalfd
/// that becomes readable when one arrives, so the I/O thread can poll for shutdown alongside its sockets.
int sim_make_shutdown_signalfd(void);
/// Reads one pending signal from the signalfd; returns its number or -1.
int sim_read_signalfd(int fd);
/// A non-blocking eventfd used to wake the I/O thread (sys/eventfd.h is not in Swift's Glibc module).
int sim_make_eventfd(void);
int sim_eventfd_signal(int fd);
int sim_eventfd_drain(int fd);
/// Resident set size of this process in bytes, from /proc/self/statm (0 if unknown).
uint64_t sim_resident_bytes_of(int pid);
/// Starts a new session (setsid) so the node tree survives the terminal that launched it.
int sim_setsid(void);
/// Puts the calling thread under SCHED_BATCH (threads it creates afterwards inherit it); 0 on success, else errno.
int sim_use_batch_scheduling(void);
/// The scheduling policy of thread or process `tid` (SCHED_OTHER 0, SCHED_BATCH 3 ...), -1 if unknown.
int sim_scheduling_policy(int tid);
/// Starts writeback of a file range without waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE, which needs
/// _GNU_SOURCE); 0 on success, else errno.
int sim_start_writeback(int fd, int64_t offset, int64_t length);
#endif
