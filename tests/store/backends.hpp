// The backends the store conformance suite runs against, each behind a factory that makes a
// fresh, empty database per test case. Every case runs once per backend (Catch's GENERATE over
// backends()). A new backend (PostgreSQL next) adds itself in backends.cpp and passes every case
// unchanged: the cases use only the store interfaces and portable SQL on orchestrator-core's
// tables.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interpreter/store/store.hpp"

namespace wfrun::conformance {

// One database for one test case, removed with it.
class test_database {
  public:
    virtual ~test_database() = default;
    // A new connection to this database. Connections may be used from different threads, one
    // thread each.
    virtual std::unique_ptr<store> connect() = 0;
    // Whether two connections see the same database. False for SQLite's `:memory:`, which is
    // private to its connection: cases that need a second connection skip it.
    virtual bool shared() const = 0;
};

struct backend {
    std::string name;
    std::function<std::unique_ptr<test_database>()> open;
};

// Every backend this build can test.
const std::vector<backend>& backends();

}  // namespace wfrun::conformance
