#pragma once

// The vocabulary route tables are written in (api/http/route.h,
// api/http/schema.h), for the files that declare routes:
//
//   Route({.method = "GET", .path = "/api/v1/products/{id}",
//          .params = {Shared("as_of")}, .answer = Ref("Product")}, handler);

#include "api/http/route.h"
#include "api/http/schema.h"

namespace crm::api {

using http::Any;
using http::Array;
using http::Boolean;
using http::CommandParams;
using http::Integer;
using http::Number;
using http::Object;
using http::Param;
using http::Ref;
using http::Shared;
using http::String;

}  // namespace crm::api
