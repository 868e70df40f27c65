// Audit entries, chain, verifier, Merkle proofs and checkpoints, freestanding: these run
// hosted and inside the kernel.
#include <cstdint>

#include "authority/audit/chain.hpp"
#include "authority/audit/checkpoint.hpp"
#include "authority/audit/entry.hpp"
#include "authority/audit/frame.hpp"
#include "authority/audit/merkle.hpp"
#include "authority/audit/sink.hpp"
#include "authority/audit/verify.hpp"
#include "authority/core/encoding.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::audit;

namespace {

constexpr id16 fill16(byte v) {
  id16 out{};
  for (auto& b : out) b = v;
  return out;
}
constexpr digest fill32(byte v) {
  digest out{};
  for (auto& b : out) b = v;
  return out;
}
constexpr id16 counting_id() {
  id16 out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<byte>(i);
  return out;
}

// The worked example of docs/audit-format.md.
constexpr record example_record() {
  record r;
  r.kind = entry_kind::decision;
  r.decision = verdict::allow;
  r.op = 0x0102;
  r.reason = errc::ok;
  r.time = 1'700'000'000'000'000'000ull;
  r.agent_id = fill16(0x11);
  r.run_id = fill16(0x22);
  r.request_hash = fill32(0xaa);
  r.result_hash = fill32(0x00);
  r.policy_hash = fill32(0xbb);
  return r;
}

template <std::size_t N>
bool equals_hex(const byte_array<N>& bytes, std::string_view hex) {
  auto decoded = encoding::hex_decode_exact<N>(hex);
  return decoded.ok() && *decoded == bytes;
}

record numbered(std::uint16_t op) {
  record r = example_record();
  r.op = op;
  r.time += op;
  return r;
}

}  // namespace

SELFTEST("audit/worked example of docs/audit-format.md") {
  // The same values are printed in the document; tests/audit/format_doc.test.cpp checks
  // that the document still says so.
  const id16 log_id = counting_id();
  ST_CHECK(equals_hex(genesis(log_id), "9cb946812ee4b36ce2e55b8aa319bcc597a94a8ecbeff05a45fbfebf7cb2a05f"));
  memory_sink<2 * frame_size> out;
  chain c{out, log_id};
  auto first = c.append(example_record());
  ST_REQUIRE(first.ok());
  ST_CHECK(first->seq == 1);
  ST_CHECK(equals_hex(first->hash, "fd7c2920414a2542d2e80d219199f1895dd6b3e19371584e364f83d13dbf37b5"));
  const bytes_view frame = out.bytes();
  ST_REQUIRE(frame.size() == frame_size);
  ST_CHECK(load_le32(frame.data() + frame_header_size + record_size) == 0xea735b73u);
  auto decoded = decode(frame.subspan(frame_header_size, entry_size));
  ST_REQUIRE(decoded.ok());
  ST_CHECK(decoded->op == 0x0102);
  ST_CHECK(decoded->prev_hash == genesis(log_id));

  record outcome = example_record();
  outcome.kind = entry_kind::outcome;
  outcome.result_hash = fill32(0xcc);
  outcome.time += 1000;
  auto second = c.append(outcome);
  ST_REQUIRE(second.ok());
  ST_CHECK(equals_hex(second->hash, "1897855e5d4f68d286fe6d14e0a8fd548f9ad0713ec861ee21591515df855151"));
}

SELFTEST("audit/encode and decode round-trip; decoding is strict") {
  entry e;
  static_cast<record&>(e) = example_record();
  e.seq = 42;
  e.reason = errc::budget_exceeded;
  e.decision = verdict::deny;
  e.prev_hash = fill32(0x5a);
  encoded_entry bytes = encode(e);
  auto back = decode(bytes_view{bytes});
  ST_REQUIRE(back.ok());
  ST_CHECK(*back == e);

  ST_CHECK(decode(bytes_view{bytes}.first(182)).code() == errc::truncated);
  ST_CHECK(decode(bytes_view{bytes}.first(182)).error().field == "prev_hash");
  byte longer[184]{};
  for (std::size_t i = 0; i < 183; ++i) longer[i] = bytes[i];
  auto trailing = decode(bytes_view{longer, 184});
  ST_CHECK(trailing.code() == errc::trailing_bytes);
  ST_CHECK(trailing.error().offset == 183);

  encoded_entry bad = bytes;
  bad[offset::version] = 2;
  ST_CHECK(decode(bytes_view{bad}).code() == errc::unsupported_version);
  bad = bytes;
  bad[offset::kind] = 0;
  ST_CHECK(decode(bytes_view{bad}).error() == make_error(errc::out_of_range, "kind", 1));
  bad[offset::kind] = 9;
  ST_CHECK(decode(bytes_view{bad}).code() == errc::out_of_range);
  bad = bytes;
  bad[offset::decision] = 2;
  ST_CHECK(decode(bytes_view{bad}).error() == make_error(errc::out_of_range, "decision", 2));
  ST_CHECK(decode(bytes_view{}).code() == errc::truncated);
}

SELFTEST("audit/crc32c check value") {
  ST_CHECK(crc32c(as_bytes("123456789")) == 0xe3069283u);
}

SELFTEST("audit/chain links entries and the stream verifies") {
  memory_sink<4096> out;
  const id16 log_id = counting_id();
  chain c{out, log_id};
  ST_CHECK(c.head().seq == 0);
  ST_CHECK(c.head().hash == genesis(log_id));
  digest hashes[5]{};
  for (std::uint16_t i = 0; i < 5; ++i) {
    auto a = c.append_durable(numbered(i));
    ST_REQUIRE(a.ok());
    ST_CHECK(a->seq == i + 1u);
    hashes[i] = a->hash;
  }
  ST_CHECK(out.sync_count() == 5);
  ST_CHECK(out.synced_size() == 5 * frame_size);
  auto v = verify_stream(out.bytes(), log_id);
  ST_CHECK(v.ok());
  ST_CHECK(v.count == 5);
  ST_CHECK(v.head == hashes[4]);
  ST_CHECK(v.valid_bytes == 5 * frame_size);
  // The same log as decoded records.
  stored_record records[5]{};
  for (std::size_t i = 0; i < 5; ++i) {
    auto r = decode_record(out.bytes().subspan(i * frame_size + frame_header_size, record_size));
    ST_REQUIRE(r.ok());
    records[i] = *r;
  }
  auto from_records = verify_records(std::span<const stored_record>{records, 5}, verifier{log_id});
  ST_CHECK(from_records.ok() && from_records.count == 5 && from_records.head == hashes[4]);
  records[3].bytes[offset::decision] ^= 1;  // a changed field
  auto tampered = verify_records(std::span<const stored_record>{records, 5}, verifier{log_id});
  ST_CHECK(tampered.code == errc::entry_hash && tampered.bad_seq == 4 && tampered.count == 3);
  // Another log id gives another genesis: entries cannot be spliced across logs.
  auto other = verify_stream(out.bytes(), fill16(0xee));
  ST_CHECK(other.code == errc::chain_broken);
  ST_CHECK(other.bad_seq == 1);
}

SELFTEST("audit/the same content at two positions hashes differently") {
  memory_sink<1024> out;
  chain c{out, counting_id()};
  auto a = c.append(example_record());
  auto b = c.append(example_record());
  ST_REQUIRE(a.ok() && b.ok());
  ST_CHECK(a->hash != b->hash);
}

SELFTEST("audit/a full sink fails closed and drops nothing") {
  memory_sink<2 * frame_size + 10> out;
  chain c{out, counting_id()};
  ST_CHECK(c.append_durable(numbered(1)).ok());
  ST_CHECK(c.append_durable(numbered(2)).ok());
  auto full = c.append_durable(numbered(3));
  ST_CHECK(full.code() == errc::log_full);
  ST_CHECK(c.failed());
  ST_CHECK(c.head().seq == 2);
  ST_CHECK(c.append(numbered(4)).code() == errc::log_full);  // latched: the gate keeps denying
  ST_CHECK(out.bytes().size() == 2 * frame_size);
  auto v = verify_stream(out.bytes(), counting_id());
  ST_CHECK(v.ok() && v.count == 2);
}

SELFTEST("audit/a resumed chain continues the sequence") {
  memory_sink<1024> out;
  chain first{out, counting_id()};
  ST_REQUIRE(first.append(numbered(1)).ok());
  chain resumed{out, first.head()};
  auto a = resumed.append(numbered(2));
  ST_REQUIRE(a.ok());
  ST_CHECK(a->seq == 2);
  ST_CHECK(verify_stream(out.bytes(), counting_id()).count == 2);
}

SELFTEST("audit/every tampering is found at the right sequence number") {
  memory_sink<8 * frame_size> out;
  const id16 log_id = counting_id();
  chain c{out, log_id};
  for (std::uint16_t i = 1; i <= 6; ++i) ST_REQUIRE(c.append(numbered(i)).ok());
  const bytes_view good = out.bytes();

  byte copy[8 * frame_size]{};
  auto reset = [&] {
    for (std::size_t i = 0; i < good.size(); ++i) copy[i] = good[i];
  };
  auto frame_at = [&](std::size_t seq) { return copy + (seq - 1) * frame_size; };
  auto refresh = [&](std::size_t seq, bool rehash) {
    // What a forger who knows the format does: fix the stored hash and the CRC.
    byte* f = frame_at(seq);
    if (rehash) {
      encoded_entry e{};
      for (std::size_t i = 0; i < entry_size; ++i) e[i] = f[frame_header_size + i];
      const digest h = hash_of(e);
      for (std::size_t i = 0; i < 32; ++i) f[frame_header_size + entry_size + i] = h[i];
    }
    store_le32(f + frame_header_size + record_size, crc32c(bytes_view{f, frame_header_size + record_size}));
  };
  auto check = [&](std::size_t length) { return verify_stream(bytes_view{copy, length}, log_id); };

  // Flipped bit, CRC not fixed: the frame check names seq 3.
  reset();
  frame_at(3)[50] ^= 0x10;
  auto v = check(good.size());
  ST_CHECK(v.code == errc::bad_checksum && v.bad_seq == 3 && v.count == 2);
  ST_CHECK(v.byte_offset == 2 * frame_size);

  // Changed field with the CRC fixed: the entry hash names seq 3.
  reset();
  frame_at(3)[frame_header_size + offset::op] ^= 1;
  refresh(3, false);
  v = check(good.size());
  ST_CHECK(v.code == errc::entry_hash && v.bad_seq == 3);

  // Changed field, hash and CRC recomputed: the next entry's link breaks.
  reset();
  frame_at(3)[frame_header_size + offset::reason] ^= 1;
  refresh(3, true);
  v = check(good.size());
  ST_CHECK(v.code == errc::chain_broken && v.bad_seq == 4);

  // Swapped entries 2 and 3.
  reset();
  for (std::size_t i = 0; i < frame_size; ++i) {
    const byte t = frame_at(2)[i];
    frame_at(2)[i] = frame_at(3)[i];
    frame_at(3)[i] = t;
  }
  v = check(good.size());
  ST_CHECK(v.code == errc::sequence_gap && v.bad_seq == 2);

  // Deleted entry 4.
  reset();
  for (std::size_t i = 4 * frame_size; i < good.size(); ++i) copy[i - frame_size] = copy[i];
  v = check(good.size() - frame_size);
  ST_CHECK(v.code == errc::sequence_gap && v.bad_seq == 4);

  // Duplicated entry 2 (inserted again after itself).
  reset();
  for (std::size_t i = good.size(); i-- > 2 * frame_size;) copy[i + frame_size] = copy[i];
  for (std::size_t i = 0; i < frame_size; ++i) frame_at(3)[i] = frame_at(2)[i];
  v = check(good.size() + frame_size);
  ST_CHECK(v.code == errc::sequence_gap && v.bad_seq == 3);

  // Inserted forged entry with the right seq and prev but made-up content: the
  // original entry that follows no longer links.
  reset();
  for (std::size_t i = good.size(); i-- > 2 * frame_size;) copy[i + frame_size] = copy[i];
  for (std::size_t i = 0; i < frame_size; ++i) frame_at(3)[i] = frame_at(2)[i];
  {
    byte* f = frame_at(3);
    f[frame_header_size + offset::seq] = 3;
    f[frame_header_size + offset::op] ^= 0xff;
    for (std::size_t i = 0; i < 32; ++i) f[frame_header_size + offset::prev_hash + i] = c.head().hash[i];
    // prev must be entry 2's hash: take it from entry 3's original prev field.
    for (std::size_t i = 0; i < 32; ++i)
      f[frame_header_size + offset::prev_hash + i] = frame_at(4)[frame_header_size + offset::prev_hash + i];
    refresh(3, true);
  }
  v = check(good.size() + frame_size);
  ST_CHECK(v.code == errc::sequence_gap && v.bad_seq == 4);

  // Truncated tail: a partial last frame.
  reset();
  v = check(good.size() - 7);
  ST_CHECK(v.code == errc::truncated && v.bad_seq == 6 && v.count == 5);

  // Damaged magic and an absurd length.
  reset();
  frame_at(5)[0] = 'X';
  v = check(good.size());
  ST_CHECK(v.code == errc::bad_magic && v.bad_seq == 5);
  reset();
  store_le32(frame_at(5) + 4, 0x7fffffff);
  v = check(good.size());
  ST_CHECK(v.code == errc::out_of_range && v.bad_seq == 5);

  // And the untouched copy still verifies, so every failure above is the tampering's.
  reset();
  v = check(good.size());
  ST_CHECK(v.ok() && v.count == 6);
}

SELFTEST("audit/merkle roots and proofs match RFC 6962/9162 test vectors") {
  // The Certificate Transparency reference leaves and roots.
  const std::string_view inputs[8] = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                      "606162636465666768696a6b6c6d6e6f"};
  const std::string_view roots[8] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  digest leaves[8]{};
  for (std::size_t i = 0; i < 8; ++i) {
    byte buf[16]{};
    auto n = encoding::hex_decode(inputs[i], mutable_bytes{buf});
    ST_REQUIRE(n.ok());
    leaves[i] = merkle::leaf_hash(bytes_view{buf, *n});
  }
  ST_CHECK(equals_hex(merkle::empty_root(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  for (std::size_t n = 1; n <= 8; ++n)
    ST_CHECK(equals_hex(merkle::root(std::span<const digest>{leaves, n}), roots[n - 1]));

  // Inclusion of leaf index 5 in 8 (RFC vector "leaf 6 of 8").
  auto p = merkle::inclusion_proof(std::span<const digest>{leaves, 8}, 5);
  ST_REQUIRE(p.ok() && p->size() == 3);
  ST_CHECK(equals_hex((*p)[0], "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"));
  ST_CHECK(equals_hex((*p)[1], "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"));
  ST_CHECK(equals_hex((*p)[2], "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"));
  const digest root8 = merkle::root(std::span<const digest>{leaves, 8});
  ST_CHECK(merkle::verify_inclusion(leaves[5], 5, 8, p->span(), root8).ok());
  ST_CHECK(merkle::verify_inclusion(leaves[4], 5, 8, p->span(), root8).code() == errc::proof_invalid);
  ST_CHECK(merkle::verify_inclusion(leaves[5], 4, 8, p->span(), root8).code() == errc::proof_invalid);
  ST_CHECK(merkle::verify_inclusion(leaves[5], 5, 7, p->span(), merkle::root(std::span<const digest>{leaves, 7})).code() ==
           errc::proof_invalid);
  ST_CHECK(merkle::verify_inclusion(leaves[5], 8, 8, p->span(), root8).code() == errc::proof_invalid);

  // Consistency 6 → 8 (RFC vector).
  auto cp = merkle::consistency_proof(std::span<const digest>{leaves, 8}, 6);
  ST_REQUIRE(cp.ok() && cp->size() == 3);
  ST_CHECK(equals_hex((*cp)[0], "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"));
  ST_CHECK(equals_hex((*cp)[1], "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"));
  ST_CHECK(equals_hex((*cp)[2], "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"));
  const digest root6 = merkle::root(std::span<const digest>{leaves, 6});
  ST_CHECK(merkle::verify_consistency(6, 8, cp->span(), root6, root8).ok());
  ST_CHECK(merkle::verify_consistency(6, 8, cp->span(), root8, root8).code() == errc::proof_invalid);
  ST_CHECK(merkle::verify_consistency(5, 8, cp->span(), root6, root8).code() == errc::proof_invalid);
  ST_CHECK(merkle::verify_consistency(6, 8, std::span<const digest>{}, root6, root8).code() == errc::proof_invalid);
  // Consistency 2 → 5 (RFC vector) and the power-of-two old size.
  auto cp25 = merkle::consistency_proof(std::span<const digest>{leaves, 5}, 2);
  ST_REQUIRE(cp25.ok() && cp25->size() == 2);
  ST_CHECK(equals_hex((*cp25)[0], "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"));
  ST_CHECK(equals_hex((*cp25)[1], "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"));
  ST_CHECK(merkle::verify_consistency(2, 5, cp25->span(), merkle::root(std::span<const digest>{leaves, 2}),
                                      merkle::root(std::span<const digest>{leaves, 5}))
               .ok());
  // Equal sizes: empty proof, equal roots.
  auto same = merkle::consistency_proof(std::span<const digest>{leaves, 8}, 8);
  ST_REQUIRE(same.ok());
  ST_CHECK(same->empty());
  ST_CHECK(merkle::verify_consistency(8, 8, same->span(), root8, root8).ok());
  ST_CHECK(merkle::verify_consistency(0, 8, same->span(), root8, root8).code() == errc::proof_invalid);
}

SELFTEST("audit/every inclusion and consistency proof of small trees verifies") {
  digest leaves[21]{};
  for (std::size_t i = 0; i < 21; ++i) {
    const byte b[2] = {static_cast<byte>(i), static_cast<byte>(i * 7)};
    leaves[i] = merkle::leaf_hash(bytes_view{b, 2});
  }
  bool all_ok = true, tamper_caught = true;
  for (std::size_t n = 1; n <= 21; ++n) {
    const std::span<const digest> tree{leaves, n};
    const digest r = merkle::root(tree);
    for (std::size_t i = 0; i < n; ++i) {
      auto p = merkle::inclusion_proof(tree, i);
      all_ok = all_ok && p.ok() && merkle::verify_inclusion(leaves[i], i, n, p->span(), r).ok();
      if (p.ok() && !p->empty()) {
        merkle::proof bad = *p;
        bad[0][0] ^= 1;
        tamper_caught = tamper_caught && !merkle::verify_inclusion(leaves[i], i, n, bad.span(), r).ok();
      }
    }
    for (std::size_t m = 1; m <= n; ++m) {
      auto p = merkle::consistency_proof(tree, m);
      const digest old_root = merkle::root(tree.first(m));
      all_ok = all_ok && p.ok() && merkle::verify_consistency(m, n, p->span(), old_root, r).ok();
      if (p.ok() && !p->empty()) {
        merkle::proof bad = *p;
        bad.back()[31] ^= 0x80;
        tamper_caught = tamper_caught && !merkle::verify_consistency(m, n, bad.span(), old_root, r).ok();
      }
    }
  }
  ST_CHECK(all_ok);
  ST_CHECK(tamper_caught);
}

SELFTEST("audit/HMAC checkpoints: signed, verified, forgeries refused") {
  const crypto::hmac_sha256_key key{std::string_view{"checkpoint key for the self-test"}};
  checkpoint cp{counting_id(), 6, 1'700'000'000'000'000'000ull, fill32(0x01), fill32(0x02)};
  const signed_checkpoint s = sign_hmac(cp, key);
  ST_CHECK(verify_hmac(s, key).ok());
  auto body = decode_checkpoint(bytes_view{encode(cp)});
  ST_REQUIRE(body.ok());
  ST_CHECK(*body == cp);

  signed_checkpoint altered = s;
  altered.body.size = 7;
  ST_CHECK(verify_hmac(altered, key).code() == errc::checkpoint_signature);
  altered = s;
  altered.body.root[0] ^= 1;
  ST_CHECK(verify_hmac(altered, key).code() == errc::checkpoint_signature);
  altered = s;
  altered.signature[0] ^= 1;
  ST_CHECK(verify_hmac(altered, key).code() == errc::checkpoint_signature);
  altered = s;
  altered.signature[40] = 1;
  ST_CHECK(verify_hmac(altered, key).code() == errc::checkpoint_signature);
  altered = s;
  altered.alg = signature_alg::ed25519;
  ST_CHECK(verify_hmac(altered, key).code() == errc::checkpoint_signature);
  const crypto::hmac_sha256_key other{std::string_view{"another key"}};
  ST_CHECK(verify_hmac(s, other).code() == errc::checkpoint_signature);
  ST_CHECK(decode_checkpoint(bytes_view{encode(cp)}.first(96)).code() == errc::truncated);
}

SELFTEST("audit/a checkpoint still verifies entries after more appends") {
  memory_sink<12 * frame_size> out;
  chain c{out, counting_id()};
  digest leaves[12]{};
  auto leaf_of_last = [&] {
    const bytes_view frame = out.bytes().last(frame_size);
    return merkle::leaf_hash(frame.subspan(frame_header_size, entry_size));
  };
  for (std::uint16_t i = 0; i < 7; ++i) {
    ST_REQUIRE(c.append(numbered(i)).ok());
    leaves[i] = leaf_of_last();
  }
  const crypto::hmac_sha256_key key{std::string_view{"k"}};
  const signed_checkpoint at7 =
      sign_hmac(checkpoint{counting_id(), 7, 0, c.head().hash, merkle::root(std::span<const digest>{leaves, 7})}, key);
  for (std::uint16_t i = 7; i < 12; ++i) {
    ST_REQUIRE(c.append(numbered(i)).ok());
    leaves[i] = leaf_of_last();
  }
  ST_CHECK(verify_hmac(at7, key).ok());
  const std::span<const digest> all{leaves, 12};
  const digest root12 = merkle::root(all);
  {
    auto cons = merkle::consistency_proof(all, 7);
    ST_REQUIRE(cons.ok());
    ST_CHECK(merkle::verify_consistency(7, 12, cons->span(), at7.body.root, root12).ok());
  }
  {
    // An entry from before the checkpoint, proven against the checkpoint's own root.
    auto inc = merkle::inclusion_proof(all.first(7), 3);
    ST_REQUIRE(inc.ok());
    ST_CHECK(merkle::verify_inclusion(leaves[3], 3, 7, inc->span(), at7.body.root).ok());
  }
  // A rewritten history does not extend the checkpoint.
  digest rewritten[12]{};
  for (std::size_t i = 0; i < 12; ++i) rewritten[i] = leaves[i];
  rewritten[2][0] ^= 1;
  const std::span<const digest> forged{rewritten, 12};
  auto forged_cons = merkle::consistency_proof(forged, 7);
  ST_REQUIRE(forged_cons.ok());
  ST_CHECK(merkle::verify_consistency(7, 12, forged_cons->span(), at7.body.root, merkle::root(forged)).code() ==
           errc::proof_invalid);
}
