// soak.cpp: runs workflows through a mixed load for a few minutes (millions of them: about 75,000 a second
// at -O2) and prints the process's resident memory over time, which must stay flat once runs close and are
// forgotten.
//
// Each batch starts `--batch` accounts (a quarter with signal-with-start), sends each deposits typed and by
// name, transfers between accounts (external signals from an async handler), queries them typed and by
// name; every tenth deposit is applied by a child workflow (forgotten once read), and every sixteenth
// operation an account continues as new. Then the accounts are closed, their results checked (the sum of the
// batch's balances is known), and their ids forgotten. Not a test: see soak/README.md.
//
//   coflow_soak [--minutes M] [--seconds S] [--workflows N] [--batch B] [--report-every S]
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if defined(__unix__)
#include <unistd.h>
#endif

namespace {

class audit {
public:
    coflow::workflow<std::int64_t> run(std::int64_t v) {
        co_await coflow::sleep(std::chrono::milliseconds(1));
        co_return v / 10;
    }
    static constexpr auto definition = coflow::define<audit>("audit").run(&audit::run);
};

class account {
public:
    coflow::signal_channel<std::int64_t> deposits;

    coflow::workflow<std::int64_t> run(std::int64_t balance, std::int64_t handled) {
        balance_ = balance;
        handled_ = handled;
        for (;;) {
            co_await coflow::wait_condition([this] { return closing_ || !deposits.empty(); });
            while (auto v = deposits.try_receive()) {
                if (*v % 10 == 0) {
                    balance_ += co_await coflow::execute_child_workflow(&audit::run, *v, {.forget_on_result = true});
                } else {
                    balance_ += *v;
                }
                if (++handled_ % 16 == 0) {
                    // Handlers still running would be abandoned with this run: let transfers finish first.
                    co_await coflow::wait_condition(coflow::all_handlers_finished);
                    co_await coflow::continue_as_new(balance_, handled_);
                }
            }
            if (closing_) {
                co_await coflow::wait_condition(coflow::all_handlers_finished);
                co_return balance_;
            }
        }
    }
    void close() { closing_ = true; }
    // Moves `v` to another account: a by-name signal from workflow code, awaited until accepted.
    coflow::task<void> transfer(std::string to, std::int64_t v) {
        const auto peer = coflow::get_external_workflow_handle(to);
        co_await peer.signal("deposit", v);
        balance_ -= v;
    }
    [[nodiscard]] std::int64_t balance() const { return balance_; }
    [[nodiscard]] std::int64_t handled() const { return handled_; }

    static constexpr auto definition = coflow::define<account>("account")
                                           .run(&account::run)
                                           .signal("deposit", &account::deposits)
                                           .signal("close", &account::close)
                                           .signal("transfer", &account::transfer)
                                           .query("balance", &account::balance)
                                           .query("handled", &account::handled);

private:
    std::int64_t balance_ = 0;
    std::int64_t handled_ = 0;
    bool closing_ = false;
};

double rss_mib() {
#if defined(__unix__)
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        long pages = 0, resident = 0;
        const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
        std::fclose(f);
        const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
        if (n == 2) return static_cast<double>(resident) * page / (1024.0 * 1024.0);
    }
#endif
    return 0.0;
}

// The peak resident memory so far (VmHWM), 0 where /proc is not available.
double peak_mib() {
#if defined(__unix__)
    if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        double kib = 0;
        while (std::fgets(line, sizeof line, f))
            if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::atof(line + 6);
        std::fclose(f);
        return kib / 1024.0;
    }
#endif
    return 0.0;
}

struct options {
    double seconds = 120;
    std::uint64_t workflows = 0;  // 0: no limit, run for `seconds`
    int batch = 2000;
    double report_every = 10;
};

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--minutes" && v) o.seconds = std::atof(v) * 60, ++i;
        else if (a == "--seconds" && v) o.seconds = std::atof(v), ++i;
        else if (a == "--workflows" && v) o.workflows = std::strtoull(v, nullptr, 10), ++i;
        else if (a == "--batch" && v) o.batch = std::atoi(v), ++i;
        else if (a == "--report-every" && v) o.report_every = std::atof(v), ++i;
        else {
            std::fprintf(stderr,
                         "usage: %s [--minutes M | --seconds S] [--workflows N] [--batch B] [--report-every S]\n"
                         "defaults: --seconds 120 --workflows 0 (no limit) --batch 2000 --report-every 10\n",
                         argv[0]);
            std::exit(a == "--help" || a == "-h" ? 0 : 2);
        }
    }
    if (o.batch < 2) o.batch = 2;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const options opt = parse(argc, argv);
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };

    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};

    std::uint64_t started = 0, signals = 0, queries = 0, batches = 0;
    double next_report = 0;
    std::vector<double> series;
    std::printf("%8s %12s %12s %12s %10s %10s\n", "seconds", "workflows", "signals", "queries", "live_ids", "rss_MiB");
    const auto report = [&] {
        const double r = rss_mib();
        series.push_back(r);
        std::printf("%8.1f %12llu %12llu %12llu %10zu %10.1f\n", elapsed(), static_cast<unsigned long long>(started),
                    static_cast<unsigned long long>(signals), static_cast<unsigned long long>(queries), rt.size(), r);
        std::fflush(stdout);
    };

    std::vector<std::string> ids;
    std::vector<coflow::workflow_handle<account>> handles;
    while ((opt.workflows == 0 || started < opt.workflows) && elapsed() < opt.seconds) {
        const int n = opt.batch;
        ids.clear();
        handles.clear();
        std::int64_t expected = 0;
        for (int i = 0; i < n; ++i) {
            ids.push_back("acct-" + std::to_string(batches) + "-" + std::to_string(i));
            if (i % 4 == 0) {  // signal-with-start
                handles.push_back(rt.start_workflow(&account::run, 0, 0,
                                                    {.id = ids.back(), .start_signal = "deposit",
                                                     .start_signal_args = coflow::args(std::int64_t{7})}));
                expected += 7;
                ++signals;
            } else {
                handles.push_back(rt.start_workflow(&account::run, 0, 0, {.id = ids.back()}));
            }
            ++started;
        }
        for (int round = 0; round < 4; ++round) {
            for (int i = 0; i < n; ++i) {
                const std::int64_t a = 1 + (i + round) % 23;  // sometimes a multiple of ten: a child applies a / 10
                handles[static_cast<std::size_t>(i)].signal(&account::deposits, a);
                expected += a % 10 == 0 ? a / 10 : a;
                const std::int64_t b = 3 + round;
                rt.get_workflow_handle(ids[static_cast<std::size_t>(i)]).signal("deposit", b);
                expected += b;
                signals += 2;
                if ((i + round) % 8 == 0) {  // a transfer to the next account: zero-sum for the batch
                    handles[static_cast<std::size_t>(i)].signal(&account::transfer,
                                                                ids[static_cast<std::size_t>((i + 1) % n)],
                                                                std::int64_t{1});
                    ++signals;
                }
            }
            if (round % 2 == 0) ex.run_until_idle();
            else ex.advance(std::chrono::milliseconds(1));
            for (int i = 0; i < n; i += 16) {
                (void)handles[static_cast<std::size_t>(i)].query(&account::balance);
                (void)rt.get_workflow_handle(ids[static_cast<std::size_t>(i)]).query<std::int64_t>("handled");
                queries += 2;
            }
        }
        for (int i = 0; i < n; ++i) {
            if (i % 2 == 0) handles[static_cast<std::size_t>(i)].signal(&account::close);
            else rt.get_workflow_handle(ids[static_cast<std::size_t>(i)]).signal("close");
            ++signals;
        }
        ex.run_until_idle();
        std::int64_t total = 0;
        for (int i = 0; i < n; ++i) {
            total += handles[static_cast<std::size_t>(i)].result();
            if (!rt.forget(ids[static_cast<std::size_t>(i)])) {
                std::fprintf(stderr, "soak: could not forget %s\n", ids[static_cast<std::size_t>(i)].c_str());
                return 1;
            }
        }
        if (total != expected) {
            std::fprintf(stderr, "soak: batch %llu: balances sum to %lld, expected %lld\n",
                         static_cast<unsigned long long>(batches), static_cast<long long>(total),
                         static_cast<long long>(expected));
            return 1;
        }
        if (rt.size() != 0) {
            std::fprintf(stderr, "soak: %zu ids left after forgetting the batch\n", rt.size());
            return 1;
        }
        ++batches;
        if (elapsed() >= next_report) {
            report();
            next_report += opt.report_every;
        }
    }
    report();
    const double first = series.size() > 2 ? series[series.size() / 4] : series.front();
    std::printf("done: %llu workflows (plus their children and continued runs) in %.1f s, %llu signals, %llu "
                "queries; rss %.1f MiB at a quarter of the run, %.1f MiB at the end, peak %.1f MiB\n",
                static_cast<unsigned long long>(started), elapsed(), static_cast<unsigned long long>(signals),
                static_cast<unsigned long long>(queries), first, series.back(), peak_mib());
    return 0;
}
