// Looking after the SQLite file (store_care.hpp): the checks at open that keep wfrun from
// writing into a damaged file, the full check behind `wfrun db check`, read snapshots, and the
// online backup behind `wfrun db backup`.
//
// Two kinds of damage are looked for at open. A write-ahead log with a garbled frame is one that
// SQLite's recovery silently cuts at that frame, dropping every later commit; a crash can only
// leave the last, unacknowledged commit incomplete, so a garbled frame followed by more than one
// commit is damage. The log's checksums are verified here, before SQLite opens the file (after
// opening it would be too late: the recovery, and the checkpoint when the last connection
// closes, act on what they read). Damage inside the file itself is found by PRAGMA quick_check,
// whose cost grows with the file (see whole_check_limit and the README).
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "interpreter/store/sqlite/sqlite_store_impl.hpp"

namespace wfrun {

namespace sqlite_detail {

namespace {

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::uint32_t le32(const unsigned char* p) {
    return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) |
           std::uint32_t{p[0]};
}

// SQLite's WAL checksum (https://www.sqlite.org/fileformat.html#checksum_algorithm), continued
// from `s` over `n` bytes (a multiple of 8), words in the byte order the log's magic names.
void wal_checksum(std::array<std::uint32_t, 2>& s, const unsigned char* p, std::size_t n,
                  bool big_endian) {
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
        std::uint32_t x0 = big_endian ? be32(p + i) : le32(p + i);
        std::uint32_t x1 = big_endian ? be32(p + i + 4) : le32(p + i + 4);
        s[0] += x0 + s[1];
        s[1] += x1 + s[0];
    }
}

}  // namespace

std::string wal_damage(const std::string& wal_path) {
    std::ifstream in(wal_path, std::ios::binary);
    if (!in) return {};
    std::vector<unsigned char> log((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
    constexpr std::size_t header_size = 32, frame_header_size = 24;
    if (log.size() <= header_size) return {};  // empty, or a header with no frames
    const unsigned char* h = log.data();
    const std::uint32_t magic = be32(h);
    const std::uint32_t page_size = be32(h + 8);
    const bool page_size_ok =
        page_size >= 512 && page_size <= 65536 && (page_size & (page_size - 1)) == 0;
    std::array<std::uint32_t, 2> sum{0, 0};
    const bool big_endian = (magic & 1) != 0;
    wal_checksum(sum, h, 24, big_endian);
    if ((magic != 0x377f0682 && magic != 0x377f0683) || !page_size_ok || sum[0] != be32(h + 24) ||
        sum[1] != be32(h + 28)) {
        return fmt::format(
            "the header of its write-ahead log '{}' is garbled, so none of the "
            "commits in the log can be read back",
            wal_path);
    }
    const std::uint32_t salt1 = be32(h + 16), salt2 = be32(h + 20);
    const std::size_t frame_size = frame_header_size + page_size;
    std::size_t frame = 0, first_bad = 0, commits_after = 0;
    bool broken = false;
    for (std::size_t off = header_size; off + frame_size <= log.size(); off += frame_size) {
        ++frame;
        const unsigned char* f = log.data() + off;
        // Frames of an earlier round of the log (other salts) end this round's frames.
        if (be32(f + 8) != salt1 || be32(f + 12) != salt2) break;
        if (!broken) {
            wal_checksum(sum, f, 8, big_endian);
            wal_checksum(sum, f + frame_header_size, page_size, big_endian);
            if (sum[0] != be32(f + 16) || sum[1] != be32(f + 20)) {
                broken = true;
                first_bad = frame;
            }
        }
        if (broken && be32(f + 4) != 0) ++commits_after;  // a commit frame records the size
    }
    if (commits_after < 2) return {};
    return fmt::format(
        "frame {} of its write-ahead log '{}' is garbled, and {} commits from there "
        "on could not be read back",
        first_bad, wal_path, commits_after);
}

}  // namespace sqlite_detail

namespace {

// Up to this size the check at open reads the whole file; above it, the log of step states and
// inputs (which grows with every process and is most of a large file) is left to SQLite's own
// detection when it is read, and to `wfrun db check`.
constexpr std::uintmax_t whole_check_limit = 32ull << 20;

}  // namespace

void sqlite_store::impl::check_at_open() {
    std::vector<std::string> problems;
    auto quick_check = [&](const std::string& pragma) {
        auto q = db.prepare(pragma);
        while (q.step()) {
            std::string row = q.column_text(0);
            if (row != "ok") problems.push_back(std::move(row));
        }
    };
    try {
        std::error_code ec;
        auto size = std::filesystem::file_size(path, ec);
        if (ec || size <= whole_check_limit) {
            quick_check("PRAGMA quick_check(5)");
        } else {
            std::vector<std::string> tables;
            {
                auto q = db.prepare(
                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN "
                    "('process_steps', 'input_states') AND name NOT LIKE 'sqlite_%'");
                while (q.step()) tables.push_back(q.column_text(0));
            }
            for (const std::string& t : tables) {
                quick_check(fmt::format("PRAGMA quick_check(\"{}\")", t));
                if (!problems.empty()) break;
            }
        }
    } catch (const damaged_store_error&) {  // SQLite could not even run the check
        sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
        throw;
    }
    if (problems.empty()) return;
    // Closing must not write: no checkpoint of the log into the damaged file.
    sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    throw damaged_store_error(
        fmt::format("database '{}' is damaged: {}", path, fmt::join(problems, "; ")));
}

std::vector<std::string> sqlite_store::check_storage() {
    auto& db = impl_->db;
    std::vector<std::string> problems;
    if (impl_->path != ":memory:" && !impl_->path.empty()) {
        if (std::string damage = sqlite_detail::wal_damage(impl_->path + "-wal"); !damage.empty()) {
            problems.push_back(std::move(damage));
        }
    }
    try {
        auto q = db.prepare("PRAGMA integrity_check");
        while (q.step()) {
            std::string row = q.column_text(0);
            if (row != "ok") problems.push_back(std::move(row));
        }
    } catch (const damaged_store_error& e) {
        problems.emplace_back(e.what());
        return problems;  // nothing more can be read
    }
    try {
        auto q = db.prepare("PRAGMA foreign_key_check");
        while (q.step()) {
            problems.push_back(fmt::format("row {} of table {} refers to a missing row of {}",
                                           q.column_int64(1), q.column_text(0), q.column_text(2)));
        }
    } catch (const damaged_store_error& e) {
        problems.emplace_back(e.what());
    }
    return problems;
}

void sqlite_store::begin_snapshot() {
    if (impl_->db.in_transaction()) throw store_error("a transaction is already open");
    impl_->st("BEGIN DEFERRED")->run();
    // The snapshot is taken by the first read, which is made here.
    impl_->st("SELECT count(*) FROM sqlite_schema")->run();
}

void sqlite_store::end_snapshot() {
    if (impl_->db.in_transaction()) impl_->st("COMMIT")->run();
}

// The copy is made by SQLite's online backup into a new file beside `destination`, in one step
// (one read transaction, so one consistent moment, while writers go on in the log), then renamed
// over it, so that `destination` is never half written.
void sqlite_store::backup(const std::string& destination, bool overwrite) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(destination, ec) && !overwrite) {
        throw store_error(
            fmt::format("'{}' exists; give another file, or --force to replace it", destination));
    }
    if (fs::equivalent(destination, impl_->path, ec)) {
        throw store_error(fmt::format("'{}' is the database itself", destination));
    }
    const std::string partial = fmt::format("{}.partial-{}", destination, ::getpid());
    fs::remove(partial, ec);
    try {
        sqlite::database copy(partial,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
        sqlite3_backup* b = sqlite3_backup_init(copy.handle(), "main", impl_->db.handle(), "main");
        if (b == nullptr) sqlite::fail(copy.handle(), copy.last_error_code(), copy.last_error());
        int rc = SQLITE_OK;
        for (int attempt = 0; attempt < 500; ++attempt) {
            rc = sqlite3_backup_step(b, -1);
            if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        sqlite3_backup_finish(b);
        if (rc != SQLITE_DONE) {
            sqlite::fail(impl_->db.handle(), rc,
                         fmt::format("backup to '{}' failed: {}", destination, sqlite3_errstr(rc)));
        }
        // The copy is in the source's WAL mode; its log is folded in when it closes here.
    } catch (...) {
        fs::remove(partial, ec);
        fs::remove(partial + "-wal", ec);
        fs::remove(partial + "-shm", ec);
        throw;
    }
    // A log of an earlier file under the destination's name would be replayed over the copy.
    fs::remove(destination + "-wal", ec);
    fs::remove(destination + "-shm", ec);
    fs::rename(partial, destination, ec);
    if (ec) {
        fs::remove(partial, ec);
        throw store_error(fmt::format("cannot write backup '{}': {}", destination, ec.message()));
    }
}

}  // namespace wfrun
