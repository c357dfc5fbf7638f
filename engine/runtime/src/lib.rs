//! Thread-per-core io_uring runtime (with epoll fallback) serving client sockets
