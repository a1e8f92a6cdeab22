#include "store/batch.h"

namespace guichet::store {

Result<void> Batch::begin() {
  if (tx_) return {};
  auto tx = store_.transaction();
  if (!tx) return tx.error();
  tx_.emplace(std::move(*tx));
  started_ = std::chrono::steady_clock::now();
  size_ = 0;
  return {};
}

bool Batch::add() {
  ++size_;
  return size_ >= defaults::batch_messages ||
         std::chrono::steady_clock::now() - started_ >= std::chrono::milliseconds(defaults::batch_milliseconds);
}

Result<void> Batch::commit() {
  if (!tx_) return {};
  auto r = tx_->commit();
  tx_.reset();
  size_ = 0;
  return r;
}

}  // namespace guichet::store
