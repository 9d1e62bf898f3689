// coflow/coflow.hpp: the umbrella header; includes every public header of coflow.
// Workflows as C++20 coroutines, driven by signals and queries on a deterministic executor.
#pragma once

#if !defined(__cpp_impl_coroutine) || __cpp_impl_coroutine < 201902L
#error "coflow needs C++20 coroutines: compile with -std=c++20 (g++ 12+, clang++ 14+)"
#endif
#if !defined(__cpp_concepts) || __cpp_concepts < 201907L
#error "coflow needs C++20 concepts: compile with -std=c++20 (g++ 12+, clang++ 14+)"
#endif

#include <coflow/args.hpp>
#include <coflow/child.hpp>
#include <coflow/codec.hpp>
#include <coflow/condition.hpp>
#include <coflow/definition.hpp>
#include <coflow/deterministic_executor.hpp>
#include <coflow/error_handler.hpp>
#include <coflow/errors.hpp>
#include <coflow/executor.hpp>
#include <coflow/external_handle.hpp>
#include <coflow/handle.hpp>
#include <coflow/history.hpp>
#include <coflow/history_text.hpp>
#include <coflow/info.hpp>
#include <coflow/journal.hpp>
#include <coflow/mutex.hpp>
#include <coflow/options.hpp>
#include <coflow/patch.hpp>
#include <coflow/realtime_executor.hpp>
#include <coflow/replay.hpp>
#include <coflow/runtime.hpp>
#include <coflow/save.hpp>
#include <coflow/selector.hpp>
#include <coflow/semaphore.hpp>
#include <coflow/signal.hpp>
#include <coflow/status.hpp>
#include <coflow/task.hpp>
#include <coflow/task_scope.hpp>
#include <coflow/time.hpp>
#include <coflow/timer.hpp>
#include <coflow/update.hpp>
#include <coflow/validation.hpp>
#include <coflow/version.hpp>
#include <coflow/when_any.hpp>
#include <coflow/workflow.hpp>
