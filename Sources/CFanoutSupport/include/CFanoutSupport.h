#ifndef CFANOUTSUPPORT_H
#define CFANOUTSUPPORT_H

/// Asks the CPU to start loading the cache line at `address`, for writing, without waiting for
/// it. The simulation calls it when it learns a key some time before the job that reads or
/// writes the key's table slot, so the slot is in cache by then.
static inline void fanout_prefetch(const void *address) {
  __builtin_prefetch(address, 1, 3);
}

#endif
