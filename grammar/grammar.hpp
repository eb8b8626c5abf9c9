// The PEGTL grammar of `.wf` files, and nothing else.
//
// Every rule is an empty struct with a one-line comment. Rules never consume the whitespace after
// them, chain elements excepted; the enclosing sequence says where `sep` goes, so a rule starts at
// its first character and that is the position its node gets. A chain element takes the blanks
// after it with it: otherwise the step call (is a `(` next?), the element (an option?) and the
// chain (`>>`?) would each read them again, and chains are long. Several rules exist only to
// name a role (`default_value` and `property_value` are both a `value`): actions.hpp hangs the
// tree building on those names and errors.hpp the messages. Keywords are context-sensitive: `min`
// is a modifier after a type and may still name a field. The language reference
// (docs/language.md) has the same grammar as EBNF.
#pragma once

#include <tao/pegtl.hpp>

namespace wfrun::grammar {

namespace p = tao::pegtl;

// ---------------------------------------------------------------------------------------------
// Whitespace and comments

// `# text` up to the end of the line (the line break is whitespace).
struct comment : p::seq<p::one<'#'>, p::star<p::not_one<'\r', '\n'>>> {};
// Spaces, tabs and line breaks, or a comment.
struct blank : p::sor<p::plus<p::space>, comment> {};
// Any amount of blanks, possibly none.
struct sep : p::star<blank> {};

// ---------------------------------------------------------------------------------------------
// Tokens

// `[A-Za-z_][A-Za-z0-9_]*`
struct ident : p::identifier {};

// Keywords; each one is only a keyword where the grammar expects it.
struct kw_block : TAO_PEGTL_KEYWORD("block") {};
// `chain` at top level.
struct kw_chain : TAO_PEGTL_KEYWORD("chain") {};
// `false` wherever a value is expected.
struct kw_false : TAO_PEGTL_KEYWORD("false") {};
// `fixed` in a product body.
struct kw_fixed : TAO_PEGTL_KEYWORD("fixed") {};
// `form` at top level.
struct kw_form : TAO_PEGTL_KEYWORD("form") {};
// `group` as a chain element, when followed by a title.
struct kw_group : TAO_PEGTL_KEYWORD("group") {};
// `if` as a chain element.
struct kw_if : TAO_PEGTL_KEYWORD("if") {};
// `input` as a chain element, when followed by `(`.
struct kw_input : TAO_PEGTL_KEYWORD("input") {};
// `max` modifier.
struct kw_max : TAO_PEGTL_KEYWORD("max") {};
// `min` modifier.
struct kw_min : TAO_PEGTL_KEYWORD("min") {};
// `not` at the start of a condition.
struct kw_not : TAO_PEGTL_KEYWORD("not") {};
// `pattern` modifier.
struct kw_pattern : TAO_PEGTL_KEYWORD("pattern") {};
// `product` at top level.
struct kw_product : TAO_PEGTL_KEYWORD("product") {};
// `readonly` modifier.
struct kw_readonly : TAO_PEGTL_KEYWORD("readonly") {};
// `required` modifier.
struct kw_required : TAO_PEGTL_KEYWORD("required") {};
// `retry` option after a chain element.
struct kw_retry : TAO_PEGTL_KEYWORD("retry") {};
// `steps` in a workflow body.
struct kw_steps : TAO_PEGTL_KEYWORD("steps") {};
// `timeout` option after a chain element.
struct kw_timeout : TAO_PEGTL_KEYWORD("timeout") {};
// `true` wherever a value is expected.
struct kw_true : TAO_PEGTL_KEYWORD("true") {};
// `workflow` at top level.
struct kw_workflow : TAO_PEGTL_KEYWORD("workflow") {};

// `"` closing a string literal.
struct string_close : p::one<'"'> {};
// `{` after `\u`.
struct unicode_open : p::one<'{'> {};
// The 1 to 6 hex digits of `\u{XXXX}`.
struct unicode_digits : p::rep_min_max<1, 6, p::xdigit> {};
// `}` closing `\u{XXXX}`.
struct unicode_close : p::one<'}'> {};
// `u{XXXX}` after a backslash.
struct unicode_escape
    : p::seq<p::one<'u'>, p::must<unicode_open>, p::must<unicode_digits>, p::must<unicode_close>> {
};
// What may follow a backslash in a string.
struct escape_code : p::sor<p::one<'"', '\\', 'n', 't'>, unicode_escape> {};
// `\"`, `\\`, `\n`, `\t` or `\u{XXXX}`.
struct escape : p::seq<p::one<'\\'>, p::must<escape_code>> {};
// Any byte of a string but a quote, a backslash or a line break; UTF-8 passes through.
struct plain_char : p::not_one<'"', '\\', '\r', '\n'> {};
// `"..."`; a line break or the end of the file before the closing quote is an error.
struct quoted : p::seq<p::one<'"'>, p::star<p::sor<plain_char, escape>>, p::must<string_close>> {};

// `-`? digits, not followed by an identifier character.
struct integer : p::seq<p::opt<p::one<'-'>>, p::plus<p::digit>, p::not_at<p::identifier_other>> {};
// Digits and a unit `ms`, `s`, `m` or `h`, written together.
struct duration : p::seq<p::plus<p::digit>, p::sor<TAO_PEGTL_STRING("ms"), p::one<'s', 'm', 'h'>>,
                         p::not_at<p::identifier_other>> {};
// `a` or `a.b.c`.
struct dotted : p::seq<ident, p::star<p::one<'.'>, ident>> {};

// ---------------------------------------------------------------------------------------------
// Values

struct list_item;
struct next_list_item;

// A string value.
struct string_literal : quoted {};
// A duration value.
struct duration_literal : duration {};
// An integer value.
struct integer_literal : integer {};
// `true` or `false`.
struct boolean_literal : p::sor<kw_true, kw_false> {};
// A name or a dotted path as a value.
struct path_literal : dotted {};
// `]` closing a list.
struct list_close : p::one<']'> {};
// `[ value, ... ]`, possibly empty.
struct list_literal
    : p::seq<p::one<'['>, sep,
             p::opt<list_item, p::star<sep, p::one<','>, sep, p::must<next_list_item>>>, sep,
             p::must<list_close>> {};
// Any literal or name; durations are tried before integers, booleans before names.
struct value : p::sor<string_literal, duration_literal, integer_literal, boolean_literal,
                      path_literal, list_literal> {};
// The first item of a list.
struct list_item : value {};
// An item of a list after a comma.
struct next_list_item : value {};

// ---------------------------------------------------------------------------------------------
// Types, fields, modifiers, properties

struct type_arg_type;

// The name of a type.
struct type_name : ident {};
// A string argument of a type: a choice.
struct type_choice : quoted {};
// One argument of a type.
struct type_arg : p::sor<type_choice, type_arg_type> {};
// `)` closing the arguments of a type.
struct type_close : p::one<')'> {};
// `( typearg, ... )` after a type name.
struct type_args
    : p::seq<p::one<'('>, sep, p::must<type_arg>, p::star<sep, p::one<','>, sep, p::must<type_arg>>,
             sep, p::must<type_close>> {};
// `?` after a type.
struct optional_mark : p::one<'?'> {};
// `Name`, `Name(args)`, each optionally followed by `?`.
struct type : p::seq<type_name, p::opt<sep, type_args>, p::opt<sep, optional_mark>> {};
// A type argument of a type: `list(T)`, `subscription(Type, lifecycle)`.
struct type_arg_type : type {};

// The lifecycle after `required`.
struct lifecycle_arg : p::seq<path_literal> {};
// The integer after `min` or `max`.
struct bound_arg : p::seq<integer_literal> {};
// The string after `pattern`.
struct pattern_arg : p::seq<string_literal> {};
// `required LIFECYCLE`
struct required_modifier : p::seq<kw_required, sep, p::must<lifecycle_arg>> {};
// `min INT`
struct min_modifier : p::seq<kw_min, sep, p::must<bound_arg>> {};
// `max INT`
struct max_modifier : p::seq<kw_max, sep, p::must<bound_arg>> {};
// `pattern "regex"`
struct pattern_modifier : p::seq<kw_pattern, sep, p::must<pattern_arg>> {};
// A keyword after a field's type, unless it starts the next field (`min: int`).
struct modifier
    : p::seq<p::not_at<ident, sep, p::one<':'>>,
             p::sor<required_modifier, kw_readonly, min_modifier, max_modifier, pattern_modifier>> {
};

// The name of a field.
struct field_name : ident {};
// The type after `name:`.
struct field_type : type {};
// The value after `=`.
struct default_value : value {};
// The string at the end of a field.
struct field_description : p::seq<string_literal> {};
// `name: Type [= value] modifier* ["description"]`
struct field : p::seq<p::at<field_name, sep, p::one<':'>>, field_name, sep, p::one<':'>, sep,
                      p::must<field_type>, p::opt<sep, p::one<'='>, sep, p::must<default_value>>,
                      p::star<sep, modifier>, p::opt<sep, field_description>> {};

// The key of a property.
struct property_key : ident {};
// The first value of a property.
struct property_value : value {};
// A value of a property after a comma.
struct next_property_value : value {};
// `key value, value...`
struct property : p::seq<property_key, sep, p::must<property_value>,
                         p::star<sep, p::one<','>, sep, p::must<next_property_value>>> {};

// The name of a fixed input.
struct fixed_name : ident {};
// `=` after a fixed input's name.
struct fixed_equals : p::one<'='> {};
// The value of a fixed input.
struct fixed_value : value {};
// `fixed name = value`
struct fixed
    : p::seq<kw_fixed, sep, fixed_name, sep, p::must<fixed_equals>, sep, p::must<fixed_value>> {};

// ---------------------------------------------------------------------------------------------
// Chains

struct chain;

// The value of an argument.
struct argument_value : value {};
// The key of a named argument.
struct argument_key : ident {};
// `key: value`
struct named_argument : p::seq<p::at<ident, sep, p::one<':'>>, argument_key, sep, p::one<':'>, sep,
                               p::must<argument_value>> {};
// A value without a key.
struct positional_argument : p::seq<argument_value> {};
// One argument of a step call or option.
struct argument : p::sor<named_argument, positional_argument> {};
// An argument after a comma.
struct next_argument : argument {};
// `arg, arg, ...`
struct argument_list : p::seq<argument, p::star<sep, p::one<','>, sep, p::must<next_argument>>> {};

// `(` after `input`.
struct input_open : p::one<'('> {};
// The form named by `input(...)`.
struct input_form : ident {};
// `)` closing `input(...)`.
struct input_close : p::one<')'> {};
// `input(FORM)`
struct input_call
    : p::seq<kw_input, sep, input_open, sep, p::must<input_form>, sep, p::must<input_close>> {};

// The path a condition tests.
struct condition_path : dotted {};
// `==` or `!=`.
struct condition_op : p::sor<TAO_PEGTL_STRING("=="), TAO_PEGTL_STRING("!=")> {};
// The value a condition compares with.
struct condition_operand : value {};
// `[not] path [(== | !=) value]`
struct condition : p::seq<p::opt<kw_not, sep>, condition_path,
                          p::opt<sep, condition_op, sep, p::must<condition_operand>>> {};
// `{` after a condition.
struct if_open : p::one<'{'> {};
// `}` closing an `if`.
struct if_close : p::one<'}'> {};
// `if condition { chain }`
struct conditional : p::seq<kw_if, sep, p::must<condition>, sep, p::must<if_open>, sep,
                            p::must<chain>, sep, p::must<if_close>> {};

// The title of a step group.
struct group_title : quoted {};
// `{` after a group title.
struct group_open : p::one<'{'> {};
// `}` closing a step group.
struct group_close : p::one<'}'> {};
// `group "Title" { chain }`
struct step_group : p::seq<kw_group, sep, group_title, sep, p::must<group_open>, sep,
                           p::must<chain>, sep, p::must<group_close>> {};

// `(` opening a parenthesised chain.
struct paren_open : p::one<'('> {};
// `)` closing a parenthesised chain.
struct paren_close : p::one<')'> {};
// `( chain )`
struct paren_group : p::seq<paren_open, sep, p::must<chain>, sep, p::must<paren_close>> {};

// The name of a step or named chain.
struct step_name : ident {};
// `(` after a step name.
struct call_open : p::one<'('> {};
// `)` closing a step's arguments.
struct call_close : p::one<')'> {};
// `name` or `name(args)`; without `(`, the blanks after the name too.
struct step_call : p::seq<step_name, sep,
                          p::opt<call_open, sep, p::opt<argument_list>, sep, p::must<call_close>>> {
};

// What an element is before its options.
struct element_core : p::sor<input_call, conditional, step_group, paren_group, step_call> {};

// `retry` or `timeout`.
struct option_name : p::sor<kw_retry, kw_timeout> {};
// `)` closing an option's arguments.
struct option_close : p::one<')'> {};
// `retry(args)`, `timeout(args)` after an element.
struct option : p::seq<option_name, sep, p::one<'('>, sep, p::opt<argument_list>, sep,
                       p::must<option_close>> {};

// A chain element with its options, and the blanks after it. An option is only tried where one
// is named, so that elements without options do not each build an option node and drop it.
struct element : p::seq<element_core, sep, p::star<p::at<option_name>, option, sep>> {};
// An element after `>>`.
struct next_element : element {};
// `>>`
struct chain_arrow : TAO_PEGTL_STRING(">>") {};
// `element >> element >> ...`, and the blanks after it.
struct chain : p::seq<element, p::star<chain_arrow, sep, p::must<next_element>>> {};

// ---------------------------------------------------------------------------------------------
// Declarations

// The name of a block.
struct block_name : ident {};
// `{` opening a block.
struct block_open : p::one<'{'> {};
// `}` closing a block.
struct block_close : p::one<'}'> {};
// A line of a block.
struct block_item : p::sor<field, property> {};
// `block Name { ... }`
struct block_decl : p::seq<kw_block, sep, p::must<block_name>, sep, p::must<block_open>, sep,
                           p::star<block_item, sep>, p::must<block_close>> {};

// The display name of a product.
struct product_name : quoted {};
// `{` opening a product.
struct product_open : p::one<'{'> {};
// `}` closing a product.
struct product_close : p::one<'}'> {};
// A line of a product.
struct product_item : p::sor<field, fixed, property> {};
// `product "Name" { ... }`
struct product_decl : p::seq<kw_product, sep, p::must<product_name>, sep, p::must<product_open>,
                             sep, p::star<product_item, sep>, p::must<product_close>> {};

// The name of a form.
struct form_name : ident {};
// `{` opening a form.
struct form_open : p::one<'{'> {};
// `}` closing a form.
struct form_close : p::one<'}'> {};
// A line of a form.
struct form_item : p::sor<field, property> {};
// `form name { ... }`
struct form_decl : p::seq<kw_form, sep, p::must<form_name>, sep, p::must<form_open>, sep,
                          p::star<form_item, sep>, p::must<form_close>> {};

// `steps chain` in a workflow.
struct steps_clause : p::seq<kw_steps, sep, p::must<chain>> {};
// The name of a workflow.
struct workflow_name : ident {};
// `{` opening a workflow.
struct workflow_open : p::one<'{'> {};
// `}` closing a workflow.
struct workflow_close : p::one<'}'> {};
// A line of a workflow.
struct workflow_item : p::sor<steps_clause, property> {};
// `workflow name { ... }`
struct workflow_decl : p::seq<kw_workflow, sep, p::must<workflow_name>, sep, p::must<workflow_open>,
                              sep, p::star<workflow_item, sep>, p::must<workflow_close>> {};

// The name of a named chain.
struct chain_name : ident {};
// `=` after a chain's name.
struct chain_equals : p::one<'='> {};
// `chain name = chain`
struct chain_decl
    : p::seq<kw_chain, sep, p::must<chain_name>, sep, p::must<chain_equals>, sep, p::must<chain>> {
};

// One top-level declaration.
struct declaration : p::sor<block_decl, product_decl, form_decl, workflow_decl, chain_decl> {};
// The end of the input, where only a declaration could have come.
struct end_of_file : p::eof {};
// A whole `.wf` file.
struct file : p::seq<sep, p::star<declaration, sep>, p::must<end_of_file>> {};

}  // namespace wfrun::grammar
