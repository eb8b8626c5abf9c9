// libFuzzer target for the front half of the pipeline: any bytes are parsed as a `.wf` file,
// linted together with the tutorial's products (index, resolve, check, and plan when clean), and,
// when they parse, formatted twice. Nothing may crash, hang or trip a sanitizer, and formatting
// must be stable and keep the file's declarations and chains. Built with -DWFRUN_FUZZ=ON by
// scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "grammar/format.hpp"
#include "grammar/parse.hpp"
#include "interpreter/catalog/catalog.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

namespace {

const wfrun::registry& steps() {
    static const wfrun::registry r = [] {
        wfrun::registry out;
        wfrun::register_stdlib(out);
        tutorial::register_steps(out);
        return out;
    }();
    return r;
}

// The tutorial's UserGroup product, so that inputs that name it get past resolve.
const wfrun::parse_result& products() {
    static const auto parsed = wfrun::parse_source("products.wf", R"(
block UserGroupBlock {
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
)");
    return parsed;
}

void outline(const wfrun::ast::chain& chain, std::string& out) {
    for (const auto& e : chain) {
        out += std::to_string(static_cast<int>(e.k)) + e.name + "(";
        outline(e.body, out);
        out += ")";
    }
}

// The declarations and chains of a file without positions or comments: what formatting keeps.
std::string outline(const wfrun::ast::file& f) {
    std::string out;
    for (const auto& b : f.blocks) out += "block " + b.name + "\n";
    for (const auto& p : f.products) out += "product " + p.name + "\n";
    for (const auto& fm : f.forms) out += "form " + fm.name + "\n";
    for (const auto& w : f.workflows) {
        out += "workflow " + w.name + " ";
        outline(w.steps, out);
        out += "\n";
    }
    for (const auto& ch : f.chains) {
        out += "chain " + ch.name + " ";
        outline(ch.body, out);
        out += "\n";
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto parsed = wfrun::parse_source("fuzz.wf", text);
    wfrun::catalog c;
    c.diagnostics = parsed.diagnostics;
    if (parsed.ok()) c.files.push_back(std::make_unique<wfrun::ast::file>(parsed.file));
    c.files.push_back(std::make_unique<wfrun::ast::file>(products().file));
    wfrun::index_names(c);
    wfrun::resolve(c, steps());
    wfrun::check(c, steps());
    if (c.ok()) wfrun::plan_workflows(c, steps());
    wfrun::sort_diagnostics(c.diagnostics);
    for (const auto& d : c.diagnostics)
        if (d.pos.line == 0 || d.code.empty()) std::abort();  // every diagnostic has a place

    if (parsed.ok()) {
        auto once = wfrun::format_source("fuzz.wf", text);
        if (!once.ok()) std::abort();
        auto again = wfrun::format_source("fuzz.wf", once.text);
        if (!again.ok() || again.text != once.text) std::abort();
        auto formatted = wfrun::parse_source("fuzz.wf", once.text);
        if (outline(formatted.file) != outline(parsed.file)) std::abort();
    }
    return 0;
}
