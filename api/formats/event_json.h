#pragma once

// The JSON form of a stored event, as served by the audit API, the live feed
// and `crmctl export`:
//
//   {"position":7,"stream":"user-…","version":2,"type":"crm.identity.UserRenamed",
//    "event_id":"0192…","recorded_at":"2026-11-27T15:44:52.123456Z","actor":"…",
//    "correlation_id":"…","causation_id":"…","schema_version":1,"data":{…}}
//
// `data` is rendered from the event's FlatBuffers schema by the catalog; an
// event the catalog cannot render has "data":null and "data_error" saying why.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "eventstore/event_store.h"
#include "schemas/catalog.h"

namespace crm::api {

void WriteEventJson(rapidjson::Writer<rapidjson::StringBuffer>& w,
                    const eventstore::RecordedEvent& event, const schemas::EventCatalog& catalog);

std::string EventJson(const eventstore::RecordedEvent& event, const schemas::EventCatalog& catalog);

}  // namespace crm::api
