// End-to-end test harness: runs build/wfrun in a shell with its output captured in files.
#include "harness.hpp"

#include <atomic>
#include <cstdio>

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace e2e {

namespace {

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

nlohmann::json result::json() const {
    return nlohmann::json::parse(out);
}

sandbox::sandbox() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "wfrun-e2e-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
}

sandbox::~sandbox() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

result sandbox::run(const std::vector<std::string>& args, const std::string& input,
                    const std::vector<std::string>& env) const {
    // Files of their own, so that runs from several threads do not mix their output.
    static std::atomic<int> runs{0};
    const std::string tag = std::to_string(++runs);
    const std::string in_file = "stdin." + tag, out_file = "stdout." + tag,
                      err_file = "stderr." + tag;
    {
        std::ofstream in(dir_ + "/" + in_file);
        in << input;
    }
    std::string cmd = "cd " + quote(dir_) + " && env NO_COLOR=1 WFRUN_DB=" + quote(db()) +
                      " WFRUN_WORKFLOWS=" + quote(std::string(WFRUN_SOURCE_DIR) + "/workflows");
    for (const auto& e : env) cmd += " " + quote(e);
    cmd += " " + quote(WFRUN_BINARY);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " <" + in_file + " >" + out_file + " 2>" + err_file;
    int status = std::system(cmd.c_str());
    result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(dir_ + "/" + out_file);
    r.err = slurp(dir_ + "/" + err_file);
    for (const auto* f : {&in_file, &out_file, &err_file}) std::remove((dir_ + "/" + *f).c_str());
    return r;
}

std::string sandbox::product_id(const std::string& name) const {
    auto r = run({"products", "--json"});
    for (const auto& p : r.json())
        if (p["name"] == name) return p["product_id"];
    throw std::runtime_error("no product " + name + ": " + r.out + r.err);
}

std::string sandbox::create_group(const std::string& name) const {
    nlohmann::json pages = {{{"product", product_id("User Group")}}, {{"group_name", name}}};
    auto r = run({"start", "create_user_group", "--json", "--input", pages.dump()});
    if (r.code != 0) throw std::runtime_error("create_user_group failed: " + r.out + r.err);
    auto pid = r.json()["id"].get<std::string>();
    auto show = run({"show", pid, "--json"}).json();
    return show["subscriptions"][0]["subscription_id"];
}

nlohmann::json sandbox::query(const std::string& sql) const {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(this->db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        throw std::runtime_error("cannot open " + this->db());
    sqlite3_stmt* st = nullptr;
    nlohmann::json rows = nlohmann::json::array();
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        std::string msg = sqlite3_errmsg(db);
        sqlite3_close(db);
        throw std::runtime_error(msg);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        nlohmann::json row = nlohmann::json::object();
        for (int i = 0; i < sqlite3_column_count(st); ++i) {
            std::string name = sqlite3_column_name(st, i);
            switch (sqlite3_column_type(st, i)) {
                case SQLITE_INTEGER:
                    row[name] = sqlite3_column_int64(st, i);
                    break;
                case SQLITE_FLOAT:
                    row[name] = sqlite3_column_double(st, i);
                    break;
                case SQLITE_NULL:
                    row[name] = nullptr;
                    break;
                default:
                    row[name] = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
            }
        }
        rows.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

}  // namespace e2e
