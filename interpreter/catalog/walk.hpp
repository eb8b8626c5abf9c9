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

// The deepest that named chains are expanded inside one another; a deeper use is treated as a
// chain that uses itself. It bounds the walker's recursion; resolve reports it (E110).
inline constexpr std::size_t max_chain_depth = 1000;

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
//   on_cycle(use)           a use of a named chain that is being expanded already, or deeper
//                           than max_chain_depth; its body is not walked.
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
                if (expanding_.size() >= max_chain_depth ||
                    std::find(expanding_.begin(), expanding_.end(), &decl) != expanding_.end()) {
                    self().on_cycle(e);
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

}  // namespace wfrun
