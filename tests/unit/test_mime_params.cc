#include <catch2/catch.hpp>

#include "mail/mime_params.h"

using guichet::mail::parse_header_value;

TEST_CASE("main value and plain parameters", "[params]") {
  auto v = parse_header_value("Multipart/Mixed; boundary=\"----=_Part_1;x\"; charset=utf-8");
  CHECK(v.value == "multipart/mixed");
  CHECK(*v.param("boundary") == "----=_Part_1;x");
  CHECK(*v.param("charset") == "utf-8");
  CHECK(v.param("name") == nullptr);
  auto esc = parse_header_value("attachment; filename=\"a \\\"b\\\".pdf\"");
  CHECK(*esc.param("filename") == "a \"b\".pdf");
}

TEST_CASE("RFC 2231 extended parameters", "[params][rfc2231]") {
  auto v = parse_header_value("attachment; filename*=UTF-8''d%C3%A9claration.pdf");
  CHECK(v.value == "attachment");
  CHECK(*v.param("filename") == "déclaration.pdf");
  auto latin = parse_header_value("attachment; filename*=iso-8859-1'fr'pi%E8ce.pdf");
  CHECK(*latin.param("filename") == "pièce.pdf");
}

TEST_CASE("RFC 2231 continuations, in any order", "[params][rfc2231]") {
  auto v = parse_header_value(
      "attachment;\r\n filename*1*=%C3%A9e_2026.odt;\r\n filename*0*=UTF-8''formulaire_ann");
  CHECK(*v.param("filename") == "formulaire_année_2026.odt");
  auto plain = parse_header_value("attachment; filename*0=\"long \"; filename*1=\"name.txt\"");
  CHECK(*plain.param("filename") == "long name.txt");
}

TEST_CASE("the extended form wins over the plain one", "[params][rfc2231]") {
  auto v = parse_header_value("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%C3%A9t%C3%A9.pdf");
  CHECK(*v.param("filename") == "été.pdf");
}

TEST_CASE("RFC 2047 words inside quoted parameters (Outlook, Gmail)", "[params]") {
  auto v = parse_header_value("application/pdf; name=\"=?UTF-8?B?ZGVtYW5kZV9hY3RlX27DqS5wZGY=?=\"");
  CHECK(*v.param("name") == "demande_acte_né.pdf");
}

TEST_CASE("garbage does not break the parser", "[params]") {
  auto v = parse_header_value(";;; =; filename*=; x*99999999*=%; \"unterminated");
  CHECK(v.value.empty());
  auto w = parse_header_value("text/plain (comment); charset=utf-8");
  CHECK(w.value == "text/plain");
}
