// The rules about form fields that the runtime would refuse when it builds a page, checked with
// the code that refuses them (compile_field in interpreter/forms/):
//
//   E114  `pattern` that is not a regular expression;
//   E115  `min` or `max` on a type that has neither a length nor a bound (bool, choice,
//         subscription, Label, Divider);
//   E116  `pattern` on a type other than str and list(str);
//   E117  `readonly` on a field that has no default (and is not optional, whose default is
//         null);
//   E119  `min` or `max` of a length or a number of items outside 0 to max_form_length, or a
//         `min` greater than the `max`.
//
// Every form is checked, used or not. Problems with the field's type itself are E104, which
// resolve reports with a suggestion from the names it knows; they are not reported again here.
#include <string_view>

#include <fmt/format.h>

#include "interpreter/check/passes.hpp"
#include "interpreter/forms/forms.hpp"

namespace wfrun::check_detail {

void check_form_fields(context& ctx) {
    std::vector<field_problem> problems;
    for (const auto& file : ctx.c.files)
        for (const auto& form : file->forms)
            for (const auto& field : form.fields) {
                problems.clear();
                compile_field(field, problems);
                for (auto& p : problems)
                    if (std::string_view(p.code) != "E104")
                        ctx.report(p.pos, severity::error, p.code,
                                   fmt::format("field '{}' of form '{}': {}", field.name, form.name,
                                               p.message));
            }
}

}  // namespace wfrun::check_detail
