// coflow/detail/journal_sink.hpp: what the engine knows of a journal (journal.hpp): the points where it
// may commit, and the stream it encodes events into as they are recorded (journal_stream.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <coflow/detail/byte_buffer.hpp>

namespace coflow::detail {

class instance_base;

struct journal_sink {
    virtual void input_returned() = 0;  // a client call accepted an input and is about to return
    virtual void work_done() = 0;       // an activation ended: the engine is between steps
    /// Brings back into memory the events a journal that keeps no histories let go of (save needs them).
    virtual void restore_histories() = 0;
    /// Streaming: the event just recorded (the last of `in`'s history) goes into `stream`.
    virtual void stream_event(instance_base& in) = 0;

    // A journal that keeps no histories in memory streams: the events of runs its file holds already
    // are encoded into `stream` as they are recorded (a named signal's accepted and handled events
    // without a history_event at all, as 'a' and 'h' records), and their runs keep at most their last
    // event. The next commit writes the stream after its run records. Off until the first commit, and
    // for good once an event could not be encoded (every commit then raises why).
    bool streaming = false;
    byte_buffer stream;
    std::string scratch;  // arguments as text and encoded, before they go into `stream`
    std::vector<std::uint64_t> stream_bytes;  // by journal_ordinal - 1: the bytes of `stream` that are its

protected:
    ~journal_sink() = default;
};

}  // namespace coflow::detail
