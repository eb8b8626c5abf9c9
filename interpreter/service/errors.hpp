// The errors a service call reports, typed so that each front end maps them once: the command
// line prints the message and exits 2, the HTTP server answers with the status noted per kind.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <wfrun/step.hpp>

#include "grammar/diagnostic.hpp"

namespace wfrun::service {

enum class error_kind {
    not_found,            // 404: no such workflow, process, subscription or product
    conflict,             // 409: the object is not in a state that allows this (resume, abort,
                          //      set-in-sync while a live process holds the subscription)
    precondition_failed,  // 412: the workflow may not start on this subscription now
    invalid_input,        // 400: input that does not fit (a form that no longer fits the state)
    engine_locked,        // 503: the engine is paused
};
std::string_view to_string(error_kind k);

// A call was refused; nothing was written. The message is for the user, in the words the
// command line has always printed; `detail` carries the same facts as data (for example the
// processes that hold a subscription), or null.
class error : public std::runtime_error {
  public:
    error(error_kind k, const std::string& message, json detail = nullptr)
        : std::runtime_error(message), kind_(k), detail_(std::move(detail)) {}
    error_kind kind() const { return kind_; }
    const json& detail() const { return detail_; }

  private:
    error_kind kind_;
    json detail_;
};

// The catalog has errors: no runtime can be built on it. The diagnostics are the catalog's own
// (errors and warnings, sorted by file and line).
class catalog_error : public std::runtime_error {
  public:
    catalog_error(const std::string& message, std::vector<diagnostic> diagnostics)
        : std::runtime_error(message), diagnostics_(std::move(diagnostics)) {}
    const std::vector<diagnostic>& diagnostics() const { return diagnostics_; }

  private:
    std::vector<diagnostic> diagnostics_;
};

}  // namespace wfrun::service
