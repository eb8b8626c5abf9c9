// libFuzzer target for the front half of the pipeline: any bytes are parsed as a `.wf` file,
// linted together with the tutorial's products (index, resolve, check, and plan when clean), and,
// when they parse, formatted twice. Nothing may crash, hang or trip a sanitizer, and formatting
// must be stable and keep the file's declarations and chains. Deep nesting, which random
// mutation seldom builds, comes from a mutator of its own: now and then an input is replaced by
// named chains, blocks or lists nested thousands deep, or by numbers past every range. Built
// with -DWFRUN_FUZZ=ON by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
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

// Nesting as deep as fits in `max_size` bytes (at most `levels`): named chains that each use
// the one before, blocks (`if`, groups, parentheses) inside one another, lists inside lists, or
// named chains whose bodies are blocks. The innermost element is the input's own first bytes
// that form a name, so that what the fuzzer learnt still matters.
std::string deep_input(std::minstd_rand& random, std::size_t max_size, std::string inner) {
    const std::size_t levels = 1 + random() % 20'000;
    const std::string head =
        "workflow deep {\n    description \"Deep\"\n    target SYSTEM\n    steps init >> ";
    const std::string tail = " >> done\n}\n";
    std::string opens, closes, chains;
    switch (random() % 5) {
        case 0:  // named chains, each using the one before
        case 1: {
            chains = "chain c0 = " + inner + "\n";
            std::size_t n = 1;
            for (; n < levels && chains.size() + head.size() + 64 < max_size; ++n)
                chains += "chain c" + std::to_string(n) + " = " +
                          (n % 7 == 0 ? "if x { c" + std::to_string(n - 1) + " }"
                                      : "c" + std::to_string(n - 1)) +
                          "\n";
            return chains + head + "c" + std::to_string(n - 1) + tail;
        }
        case 2: {  // blocks inside one another
            static const char* const kinds[][2] = {
                {"if x { ", " }"}, {"( ", " )"}, {"group \"g\" { ", " }"}};
            const auto& k = kinds[random() % 3];
            for (std::size_t n = 0; n < levels && (opens.size() + closes.size()) * 2 < max_size;
                 ++n) {
                opens += k[0];
                closes += k[1];
            }
            return head + opens + inner + closes + tail;
        }
        case 3: {  // lists inside lists, as a default and as a step argument
            for (std::size_t n = 0; n < levels && opens.size() * 4 < max_size; ++n) {
                opens += '[';
                closes += ']';
            }
            return "form f {\n    x: list(str) = " + opens + closes + "\n}\n" + head + "f(" +
                   opens + closes + ")" + tail;
        }
        default: {  // numbers past every range
            static const char* const numbers[] = {
                "retry(attempts: 2147483648)", "retry(attempts: 99999999999999999999)",
                "retry(delay: 9223372036854775807ms)", "retry(backoff: -1, max_delay: 99999999h)",
                "timeout(0ms)"};
            return head + inner + " " + numbers[random() % 5] + tail;
        }
    }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

// One mutation in sixteen builds deep nesting (deep_input); the rest are libFuzzer's own.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
    std::minstd_rand random(seed);
    if (random() % 16 != 0) return LLVMFuzzerMutate(data, size, max_size);
    std::string inner;
    for (std::size_t i = 0; i < size && inner.size() < 32; ++i) {
        const char c = static_cast<char>(data[i]);
        if ((c >= 'a' && c <= 'z') || c == '_' || (!inner.empty() && c >= '0' && c <= '9'))
            inner += c;
        else if (!inner.empty())
            break;
    }
    if (inner.empty()) inner = "abort";
    const std::string out = deep_input(random, max_size, inner);
    if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
    std::memcpy(data, out.data(), out.size());
    return out.size();
}

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
