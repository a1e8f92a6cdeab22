// The one batching policy: mail is committed in batches of at most defaults::batch_messages
// messages or defaults::batch_milliseconds of work, whichever comes first. One fsync per batch
// instead of one per mail; nothing is acknowledged to a source (a flag, a move, a line of output)
// before its batch is committed. Used by imports and by every poll.
#pragma once

#include <chrono>
#include <optional>

#include "defaults/defaults.h"
#include "store/store.h"

namespace guichet::store {

class Batch {
 public:
  explicit Batch(Store& store) : store_(store) {}

  // Opens a transaction unless one is open.
  Result<void> begin();
  // Counts one message; true when the batch is full and should be committed now.
  bool add();
  // Commits the open transaction, if any. An error leaves it rolled back.
  Result<void> commit();
  bool open() const { return tx_.has_value(); }
  int size() const { return size_; }

 private:
  Store& store_;
  std::optional<Transaction> tx_;
  std::chrono::steady_clock::time_point started_;
  int size_ = 0;
};

}  // namespace guichet::store
