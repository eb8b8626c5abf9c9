// The walks over chains, written once for every pass that follows one (resolve, check, plan,
// graph):
//
//   for_each_element  every element of a chain as written, nested ones included, named chains
//                     not expanded (rules about what is written where);
//   chain_walker      a chain as a process runs it: a named chain's use is replaced by the
//                     chain's body, `if` and group bodies are entered, and a chain that uses
//                     itself is caught.
//
// chain_walker is a base class that a pass derives from (CRTP) and whose hooks it hides; the
// hooks it does not write do nothing and cost nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <vector>

#include "interpreter/catalog/catalog.hpp"

namespace wfrun {

// Calls `f` on every element of `chain`, nested ones included, before the elements inside it,
// without expanding named chains.
template <typename F>
void for_each_element(const ast::chain& chain, F&& f) {
    for (const auto& e : chain) {
        f(e);
        for_each_element(e.body, f);
    }
}

// Calls `f` on the chain of every workflow and every named chain of the catalog.
template <typename F>
void for_each_chain(const catalog& c, F&& f) {
    for (const auto& [name, w] : c.workflows) f(w->steps);
    for (const auto& [name, ch] : c.chains) f(ch->body);
}

// The most elements a workflow's chain may expand to, named chains expanded (E113).
inline constexpr std::size_t max_expanded_steps = 100'000;

// How deep an element may sit inside blocks (`if`, groups, step groups) and named-chain uses,
// counted together along one path with named chains expanded. The walker recurses once per
// level and goes no deeper: a block or use beyond it is handed to on_too_deep instead of being
// walked, so that no catalog can exhaust the stack: the sanitizer build, whose frames are
// several times larger, lints, plans and draws a chain 1000 levels deep within 1 MB of stack,
// an eighth of the usual 8 MB. check reports it (E118).
inline constexpr std::size_t max_nesting_depth = 1000;

// Walks a chain with named chains expanded in place. `Derived` hides the hooks it needs:
//
//   on_element(e)           every element met, before anything else is done with it;
//   on_step(e)              a step that is not a named chain (the registry's, or unknown);
//   on_input(e)             input(FORM);
//   enter_block(e)          a conditional, group or step group, before its body;
//   leave_block(e)          ... after its body;
//   enter_chain(use, decl)  a use of named chain `decl`, before its body; returns whether to
//                           walk the body (false: the pass already knows what it holds);
//   leave_chain(use, decl)  ... after its body (only when it was walked);
//   on_cycle(use)           a use of a named chain that is being expanded already; its body is
//                           not walked;
//   on_too_deep(e)          a block or named-chain use whose body would sit deeper than
//                           max_nesting_depth; its body is not walked.
//
// While a hook runs, enclosing() holds the blocks and named-chain uses around the element,
// outermost first, and expanding() the named chains being expanded.
template <typename Derived>
class chain_walker {
  public:
    explicit chain_walker(const catalog& c) : catalog_(c) {}

    void walk(const ast::chain& chain) {
        for (const auto& e : chain) element(e);
    }

    // The body of named chain `decl` on its own, as if it were being expanded: a use of itself
    // inside is a cycle.
    void walk_named(const ast::chain_decl& decl) {
        expanding_.push_back(&decl);
        walk(decl.body);
        expanding_.pop_back();
    }

    const std::vector<const ast::element*>& enclosing() const { return enclosing_; }
    const std::vector<const ast::chain_decl*>& expanding() const { return expanding_; }
    const catalog& cat() const { return catalog_; }

    // The hooks' defaults.
    void on_element(const ast::element&) {}
    void on_step(const ast::element&) {}
    void on_input(const ast::element&) {}
    void enter_block(const ast::element&) {}
    void leave_block(const ast::element&) {}
    bool enter_chain(const ast::element&, const ast::chain_decl&) { return true; }
    void leave_chain(const ast::element&, const ast::chain_decl&) {}
    void on_cycle(const ast::element&) {}
    void on_too_deep(const ast::element&) {}

  private:
    Derived& self() { return static_cast<Derived&>(*this); }

    void element(const ast::element& e) {
        self().on_element(e);
        switch (e.k) {
            case ast::element::kind::step: {
                auto named = catalog_.chains.find(e.name);
                if (named == catalog_.chains.end()) {
                    self().on_step(e);
                    break;
                }
                const ast::chain_decl& decl = *named->second;
                if (std::find(expanding_.begin(), expanding_.end(), &decl) != expanding_.end()) {
                    self().on_cycle(e);
                    break;
                }
                if (enclosing_.size() >= max_nesting_depth) {
                    self().on_too_deep(e);
                    break;
                }
                if (!self().enter_chain(e, decl)) break;
                expanding_.push_back(&decl);
                enclosing_.push_back(&e);
                walk(decl.body);
                enclosing_.pop_back();
                expanding_.pop_back();
                self().leave_chain(e, decl);
                break;
            }
            case ast::element::kind::input:
                self().on_input(e);
                break;
            case ast::element::kind::conditional:
            case ast::element::kind::group:
            case ast::element::kind::step_group:
                if (enclosing_.size() >= max_nesting_depth) {
                    self().on_too_deep(e);
                    break;
                }
                self().enter_block(e);
                enclosing_.push_back(&e);
                walk(e.body);
                enclosing_.pop_back();
                self().leave_block(e);
                break;
        }
    }

    const catalog& catalog_;
    std::vector<const ast::element*> enclosing_;
    std::vector<const ast::chain_decl*> expanding_;
};

// The number of elements a chain expands to (steps, inputs, and each conditional or group
// itself), saturating above `limit`. Each named chain is counted once and remembered, so this
// is linear in the size of the catalog however often chains use one another. A chain that uses
// itself counts as empty where it does (E110 is resolve's).
class expansion_counter : public chain_walker<expansion_counter> {
  public:
    expansion_counter(const catalog& c, std::size_t limit) : chain_walker(c), limit_(limit) {}

    std::size_t count(const ast::chain& chain) {
        counts_.assign(1, 0);
        walk(chain);
        return counts_.back();
    }

    void on_step(const ast::element&) { add(1); }
    void on_input(const ast::element&) { add(1); }
    void enter_block(const ast::element&) { add(1); }
    bool enter_chain(const ast::element&, const ast::chain_decl& decl) {
        if (auto it = sizes_.find(&decl); it != sizes_.end()) {
            add(it->second);
            return false;
        }
        counts_.push_back(0);
        return true;
    }
    void leave_chain(const ast::element&, const ast::chain_decl& decl) {
        auto n = counts_.back();
        counts_.pop_back();
        sizes_.emplace(&decl, n);
        add(n);
    }

  private:
    void add(std::size_t n) { counts_.back() = std::min(counts_.back() + n, limit_ + 1); }

    std::size_t limit_;
    std::vector<std::size_t> counts_;  // one per named chain being counted, and the outermost
    std::map<const ast::chain_decl*, std::size_t> sizes_;
};

// How deep a chain nests: the most blocks and named-chain uses around any of its elements, named
// chains expanded, or max_nesting_depth + 1 when some element sits deeper than the walker goes.
// Each named chain's own depth is found once and remembered, so this is linear in the size of
// the catalog however often chains use one another. `too_deep` receives the element at which the
// limit is first crossed (E118 is check's).
class nesting_counter : public chain_walker<nesting_counter> {
  public:
    explicit nesting_counter(const catalog& c) : chain_walker(c) {}

    std::size_t depth(const ast::chain& chain) {
        frames_.assign(1, frame{});
        too_deep_ = nullptr;
        walk(chain);
        return frames_.back().deepest;
    }

    // The element at which the last chain counted crossed the limit, or nullptr.
    const ast::element* too_deep() const { return too_deep_; }

    void on_element(const ast::element& e) { note(enclosing().size(), e); }
    bool enter_chain(const ast::element& use, const ast::chain_decl& decl) {
        const std::size_t inside = enclosing().size() + 1;  // the depth of the body's elements
        if (auto it = depths_.find(&decl); it != depths_.end()) {
            note(inside + it->second, use);
            return false;
        }
        frames_.push_back({inside, inside});
        return true;
    }
    void leave_chain(const ast::element& use, const ast::chain_decl& decl) {
        const frame f = frames_.back();
        frames_.pop_back();
        depths_.emplace(&decl, f.deepest - f.base);
        note(f.deepest, use);
    }
    void on_too_deep(const ast::element& e) { note(max_nesting_depth + 1, e); }

  private:
    struct frame {
        std::size_t base = 0;     // the depth of the named chain's own elements
        std::size_t deepest = 0;  // the deepest element met in it so far
    };

    void note(std::size_t depth, const ast::element& at) {
        depth = std::min(depth, max_nesting_depth + 1);
        if (depth > max_nesting_depth && too_deep_ == nullptr) too_deep_ = &at;
        frames_.back().deepest = std::max(frames_.back().deepest, depth);
    }

    std::vector<frame> frames_;  // one per named chain being counted, and the outermost
    std::map<const ast::chain_decl*, std::size_t> depths_;  // below each chain's own elements
    const ast::element* too_deep_ = nullptr;
};

}  // namespace wfrun
