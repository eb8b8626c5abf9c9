// The store benchmark: what one step's transaction costs the store alone, without the engine:
// load a user subscription (from the cache of loaded models), change a value, save it, append a
// step row with the subscription in its state and write the process row, in one transaction per
// step, with synchronous=NORMAL on a file of the tutorial's catalog. It prints microseconds per
// step and, last, one JSON object with the figure.
//
//   wfrun_store_bench [--n N]      (N steps, default 2000)
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include <fmt/format.h>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/store/sqlite/sqlite_store.hpp"
#include "interpreter/util/util.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

using namespace wfrun;
namespace fs = std::filesystem;

namespace {

std::string product_id(store& s, const std::string& name) {
    for (const auto& p : s.products())
        if (p.name == name) return p.product_id;
    throw std::runtime_error("no product " + name);
}

// A subscription of `product` made active and in sync with `fill` applied, as stored.
template <class F>
json make_subscription(store& s, const std::string& product, F fill) {
    json m = s.create_subscription(product_id(s, product), new_uuid());
    m["status"] = "active";
    m["insync"] = true;
    fill(m);
    s.save_subscription(m);
    return *s.load_subscription(m["subscription_id"]);
}

}  // namespace

int main(int argc, char** argv) {
    int n = 2000;
    for (int i = 1; i + 1 < argc; i += 2)
        if (std::string(argv[i]) == "--n") n = std::stoi(argv[i + 1]);

    registry steps;
    register_stdlib(steps);
    tutorial::register_steps(steps);
    auto cat = load_catalog({WFRUN_SOURCE_DIR "/workflows"}, steps);
    if (!cat->ok()) throw std::runtime_error("the tutorial catalog does not load");

    std::random_device rd;
    fs::path dir = fs::temp_directory_path() / ("wfrun-store-bench-" + std::to_string(rd()));
    fs::create_directories(dir);
    double us_per_step = 0;
    {
        sqlite_store s((dir / "wfrun.db").string(), {.synchronous_full = false});
        s.sync_catalog(cat->model);
        json group = make_subscription(s, "User Group", [](json& g) {
            g["description"] = "User Group bench";
            g["user_group"]["group_name"] = "bench";
            g["user_group"]["group_id"] = 1;
        });
        json user = make_subscription(s, "User internal", [&](json& u) {
            u["description"] = "User bench";
            u["user"]["group"] = group["user_group"];
            u["user"]["username"] = "bench";
            u["user"]["age"] = 40;
            u["user"]["user_id"] = 4;
        });
        process_row p;
        p.process_id = new_uuid();
        p.workflow_name = "modify_user";
        p.last_status = process_status::running;
        s.insert_process(p);
        p = *s.process(p.process_id);

        std::cerr << fmt::format("load + save + step + process update x {} ...\n", n);
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) {
            s.begin();
            json u = *s.load_subscription(user["subscription_id"]);
            u["user"]["age"] = i;
            s.save_subscription(u);
            step_row st;
            st.process_id = p.process_id;
            st.name = "Modify";
            st.status = step_status::success;
            st.state = {{"subscription", u}, {"i", i}};
            s.insert_step(st);
            p.last_step = "Modify";
            if (!s.update_claimed_process(p)) throw std::runtime_error("the process was claimed");
            s.commit();
        }
        auto us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count();
        us_per_step = us / n;
        if (s.steps(p.process_id).size() != static_cast<std::size_t>(n))
            throw std::runtime_error("steps are missing");
    }
    fs::remove_all(dir);
    std::cout << fmt::format("{:<46} {:>12.1f}\n", "us per step (synchronous=NORMAL)", us_per_step);
    std::cout << json{{"steps", n}, {"store_us_per_step", us_per_step}}.dump() << '\n';
    return 0;
}
