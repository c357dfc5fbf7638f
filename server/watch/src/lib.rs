//! ZooKeeper watch bookkeeping: one-shot, persistent and persistent-recursive watches
