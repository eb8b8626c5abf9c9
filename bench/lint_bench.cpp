// Lint speed: `wfrun lint` must be fast enough to run on every keystroke, and its time must grow
// linearly with the size of what it checks. This program writes two kinds of generated catalogs
// to a temporary folder and times load_catalog on them (read, parse, resolve, every check pass,
// plan), the work `wfrun lint` does:
//
//   chain   one MODIFY workflow whose chain has N steps (N up to 10,000);
//   files   a catalog of N workflow files, each with its own form (N up to 1,000).
//
// Each line gives the size, the best of a few runs, and the time per step or per file; a flat
// time per unit means linear growth. The last line is one JSON object with the figures of the
// largest sizes, for scripts. The peers' figures (asl-validator on a 10,000-state chain and on
// small definitions) come from ../shared/bench/peers/run.
// Usage: wfrun_lint_bench [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <unistd.h>

#include <fmt/format.h>

#include "interpreter/catalog/catalog.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

namespace fs = std::filesystem;

namespace {

const char* const products = R"(block UserGroupBlock {
    description "user group block"
    tag UGB
    group_name: str  required provisioning  "name of the user group"
    group_id:   int  required active        "id of the user group"
}

product "User Group" {
    type UserGroup
    tag GROUP
    description "user group administration"
    user_group: UserGroupBlock
}
)";

std::string workflow_file(const std::string& name, std::size_t steps) {
    std::string out = fmt::format(R"(form {0}_form {{
    title "Modify {{subscription.description}}"
    group_name: str = subscription.user_group.group_name
    group_id:   int = subscription.user_group.group_id  readonly
}}

workflow {0} {{
    description  "Modify user group"
    target       MODIFY
    product_type UserGroup
    form         {0}_form

    steps init
        >> store_process_subscription(Target.MODIFY)
        >> unsync
)",
                                  name);
    for (std::size_t i = 0; i < steps; ++i) out += "        >> modify_user_group_subscription\n";
    out += "        >> resync\n        >> done\n}\n";
    return out;
}

double seconds_to_lint(const fs::path& dir, const wfrun::registry& reg, int repeats,
                       std::size_t& diagnostics) {
    double best = 1e9;
    for (int r = 0; r < repeats; ++r) {
        auto start = std::chrono::steady_clock::now();
        auto cat = wfrun::load_catalog({dir.string()}, reg);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::min(best, s);
        diagnostics = cat->diagnostics.size();
    }
    return best;
}

fs::path fresh_dir(const fs::path& root, const std::string& name) {
    auto dir = root / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "products.wf") << products;
    return dir;
}

}  // namespace

int main(int argc, char** argv) {
    int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
    wfrun::registry reg;
    wfrun::register_stdlib(reg);
    tutorial::register_steps(reg);
    const auto root = fs::temp_directory_path() / fmt::format("wfrun-lint-bench-{}", ::getpid());
    fs::create_directories(root);

    std::size_t chain_steps = 0, files = 0;
    double chain_seconds = 0, files_seconds = 0;

    std::cout << "# one workflow, a chain of N steps\n";
    for (std::size_t n : {1250, 2500, 5000, 10000}) {
        auto dir = fresh_dir(root, fmt::format("chain{}", n));
        std::ofstream(dir / "long.wf") << workflow_file("long_chain", n);
        std::size_t diags = 0;
        double s = seconds_to_lint(dir, reg, repeats, diags);
        std::cout << fmt::format(
            "lint chain_steps={:<6} seconds={:.4f} us_per_step={:.2f} diagnostics={}\n", n, s,
            s * 1e6 / static_cast<double>(n), diags);
        chain_steps = n;
        chain_seconds = s;
    }

    std::cout << "# a catalog of N workflow files (8 steps and a form each)\n";
    for (std::size_t n : {125, 250, 500, 1000}) {
        auto dir = fresh_dir(root, fmt::format("files{}", n));
        for (std::size_t i = 0; i < n; ++i)
            std::ofstream(dir / fmt::format("wf{:04}.wf", i))
                << workflow_file(fmt::format("modify_{}", i), 3);
        std::size_t diags = 0;
        double s = seconds_to_lint(dir, reg, repeats, diags);
        std::cout << fmt::format(
            "lint files={:<5} seconds={:.4f} ms_per_file={:.3f} diagnostics={}\n", n, s,
            s * 1e3 / static_cast<double>(n), diags);
        files = n;
        files_seconds = s;
    }
    fs::remove_all(root);

    std::cout << fmt::format(
        "{{\"lint_chain_steps\":{},\"lint_chain_seconds\":{:.6f},\"lint_files\":{},"
        "\"lint_files_seconds\":{:.6f}}}\n",
        chain_steps, chain_seconds, files, files_seconds);
    return 0;
}
