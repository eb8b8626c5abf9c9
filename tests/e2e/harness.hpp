// End-to-end test harness: runs build/wfrun against a temporary SQLite file and the project's
// catalog, and gives back its exit code, standard output and standard error.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace e2e {

struct result {
    int code = -1;
    std::string out;
    std::string err;
    nlohmann::json json() const;  // standard output parsed as JSON
};

class sandbox {
  public:
    sandbox();  // a fresh temporary folder; the database is db() inside it
    ~sandbox();
    sandbox(const sandbox&) = delete;
    sandbox& operator=(const sandbox&) = delete;

    const std::string& dir() const { return dir_; }
    std::string db() const { return dir_ + "/wfrun.db"; }

    // Runs wfrun with `args`, standard input from `input`; `env` adds NAME=value pairs.
    result run(const std::vector<std::string>& args, const std::string& input = "",
               const std::vector<std::string>& env = {}) const;

    // Helpers for the tutorial's story.
    std::string product_id(const std::string& name) const;
    std::string create_group(const std::string& name) const;  // returns the subscription id
    nlohmann::json query(const std::string& sql) const;       // rows of the database as objects

  private:
    std::string dir_;
};

}  // namespace e2e
