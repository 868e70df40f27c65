// Fuzzes CLI request lines (include/authority/hosted/request_line.hpp):
// parse_request_line, then resolve_request against a real compiled policy
// (tests/policy/generated/kernel.inc, which declares labels) and its evaluation.
// Checks, besides not crashing:
//   - a line is either a request or an error message, never both or neither; a JSON
//     syntax error gives a column inside the line;
//   - what parses is valid JSON to the daemon's independent reader too;
//   - formatting does not change meaning: the line re-written canonically (same members
//     in the same order, no whitespace, strings re-escaped, numbers as written) parses to
//     the same request, or fails the same way;
//   - a parsed request is consistent: no cost for resources it did not name, no
//     resource named twice; resolving it gives the same op and tokens, a canonical path
//     when the op takes a path and the target canonicalizes, and labels the policy knows;
//     an unknown label is named in the error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../ports/hosted/daemon_json.hpp"
#include "authority/hosted/request_line.hpp"
#include "authority/pattern/path.hpp"
#include "authority/policy/policy.hpp"
#include "policy/selftest_blobs.hpp"

using namespace authority;
namespace dj = authority::hosted::daemon_json;

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "request_line fuzz: property violated: %s\n", what);
    std::abort();
  }
}

const policy::compiled_policy& the_policy() {
  static capability::key_ring ring;
  static const policy::compiled_policy* p = [] {
    namespace blobs = policy::selftest_blobs;
    require(ring.add_active(blobs::key_id, blobs::key_secret(), 0).ok(), "key");
    auto opened = policy::compiled_policy::open(bytes_view{blobs::kernel_blob}, ring, 0);
    require(opened.ok(), "the self-test policy opens");
    return new policy::compiled_policy(*opened);
  }();
  return *p;
}

void escape(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void canonical(std::string& out, const dj::value& v) {
  switch (v.type) {
    case dj::value::kind::null: out += "null"; break;
    case dj::value::kind::boolean: out += v.boolean ? "true" : "false"; break;
    case dj::value::kind::number: out += v.source; break;
    case dj::value::kind::string: escape(out, v.text); break;
    case dj::value::kind::array:
      out += '[';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ',';
        canonical(out, v.items[i]);
      }
      out += ']';
      break;
    case dj::value::kind::object:
      out += '{';
      for (std::size_t i = 0; i < v.members.size(); ++i) {
        if (i) out += ',';
        escape(out, v.members[i].key);
        out += ':';
        canonical(out, v.members[i].val);
      }
      out += '}';
      break;
  }
}

bool same(const hosted::request_line& a, const hosted::request_line& b) {
  if (a.effect != b.effect || a.target != b.target || a.version != b.version || a.tokens != b.tokens ||
      a.labels != b.labels || a.costed != b.costed || a.cap != b.cap || a.seq != b.seq || a.run != b.run ||
      a.agent != b.agent)
    return false;
  for (std::size_t i = 0; i < budget::resource_count; ++i)
    if (a.cost.at(i) != b.cost.at(i)) return false;
  return true;
}

// The column of a "not JSON: … (column N)" message.
std::size_t column_of(const std::string& message) {
  const auto at = message.rfind("(column ");
  require(at != std::string::npos, "a JSON error gives a column");
  return static_cast<std::size_t>(std::strtoull(message.c_str() + at + 8, nullptr, 10));
}

void check_resolved(const hosted::request_line& line) {
  const auto& p = the_policy();
  std::string storage;
  const auto resolved = hosted::resolve_request(line, p, storage);
  if (!resolved.ok()) {
    require(resolved.error.starts_with("unknown label \""), "only an unknown label fails to resolve");
    // Messages quote at most 80 bytes of a name, JSON-escaped: a plain prefix of the
    // unknown label must be there.
    bool named = false;
    for (const auto& l : line.labels) {
      if (p.label_from_name(l)) continue;
      std::size_t plain = 0;
      while (plain < l.size() && plain < 80 && l[plain] >= 0x20 && l[plain] < 0x7f && l[plain] != '"' && l[plain] != '\\')
        ++plain;
      if (resolved.error.find("\"" + l.substr(0, plain)) != std::string::npos) named = true;
    }
    require(named, "the unknown label is named");
    return;
  }
  const auto& r = resolved.request;
  require(r.kind == line.effect && r.tokens == line.tokens, "resolve keeps op and tokens");
  require(r.version == (line.version ? std::string_view{*line.version} : std::string_view{}), "resolve keeps version");
  for (const auto& l : line.labels) {
    const auto index = p.label_from_name(l);
    require(index && ((r.labels >> *index) & 1u), "every label is resolved");
  }
  if (policy::target_syntax(line.effect) == pattern::syntax::path) {
    static char out[pattern::max_path_length];
    auto c = pattern::canonicalize_path(line.target, out);
    require(r.target == (c ? *c : std::string_view{line.target}), "a path target is canonical when it can be");
  } else {
    require(r.target == line.target, "other targets are passed as written");
  }
  const auto d = p.evaluate(r);
  require(d.rule == policy::no_rule || d.rule < p.rule_count(), "a deciding rule exists");
  require(!d.allow || d.reason == errc::ok, "an allow has reason ok");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line{reinterpret_cast<const char*>(data), size};
  const auto parsed = hosted::parse_request_line(line);
  require(parsed.ok() == parsed.error.empty(), "a request or an error");
  if (!parsed.ok()) {
    if (parsed.error.starts_with("not JSON")) require(column_of(parsed.error) <= size + 1, "the column is inside the line");
  } else {
    const auto& r = *parsed.value;
    for (std::size_t i = 0; i < budget::resource_count; ++i) {
      bool named = false;
      for (auto res : r.costed) named |= static_cast<std::size_t>(res) == i;
      require(named || r.cost.at(i) == 0, "no cost for a resource not named");
    }
    for (std::size_t i = 0; i < r.costed.size(); ++i)
      for (std::size_t j = 0; j < i; ++j) require(r.costed[i] != r.costed[j], "no resource named twice");
    check_resolved(r);
  }

  // Formatting does not change meaning.
  const auto tree = dj::parse(line, 8);
  if (parsed.ok()) require(tree.root.has_value(), "a request line is JSON to the daemon's reader too");
  if (tree.root) {
    std::string again;
    canonical(again, *tree.root);
    const auto reparsed = hosted::parse_request_line(again);
    require(reparsed.ok() == parsed.ok(), "canonical form parses the same way");
    if (parsed.ok()) require(same(*parsed.value, *reparsed.value), "canonical form gives the same request");
  }
  return 0;
}
