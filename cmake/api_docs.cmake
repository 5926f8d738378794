# API documentation (included by src/CMakeLists.txt after the daemon targets exist):
# each daemon embeds its OpenAPI document (docs/openapi/<daemon>.json) at build time, and
# Swagger UI's files are copied from docs/swagger-ui/node_modules into
# <build>/share/solar/swagger-ui, where a daemon in <build>/src finds them as
# <exe dir>/../share/solar/swagger-ui (core::default_swagger_ui_dir).

# Adds a generated source defining `<namespace>::openapi_document()` to `target`.
function(solar_embed_openapi target namespace json)
    set(out ${CMAKE_CURRENT_BINARY_DIR}/generated/${target}_openapi_document.cpp)
    add_custom_command(
        OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -DINPUT=${json} -DOUTPUT=${out} -DNAMESPACE=${namespace}
            -DROOT=${PROJECT_SOURCE_DIR} -P ${PROJECT_SOURCE_DIR}/cmake/embed_text.cmake
        DEPENDS ${json} ${PROJECT_SOURCE_DIR}/cmake/embed_text.cmake
        COMMENT "Embedding ${json}"
        VERBATIM)
    target_sources(${target} PRIVATE ${out})
endfunction()

solar_embed_openapi(solar_control solar::control
    ${PROJECT_SOURCE_DIR}/docs/openapi/solar-control.json)
if(TARGET solar_host)
    solar_embed_openapi(solar_host solar::host ${PROJECT_SOURCE_DIR}/docs/openapi/solar-host.json)
endif()

set(SOLAR_SWAGGER_UI_DIR ${PROJECT_BINARY_DIR}/share/solar/swagger-ui)
add_custom_target(swagger_ui_assets ALL
    COMMAND ${CMAKE_COMMAND}
        -DSOURCE=${PROJECT_SOURCE_DIR}/docs/swagger-ui/node_modules/swagger-ui-dist
        -DDEST=${SOLAR_SWAGGER_UI_DIR}
        -P ${PROJECT_SOURCE_DIR}/cmake/copy_swagger_ui.cmake
    VERBATIM)
foreach(daemon solar-control solar-host)
    if(TARGET ${daemon})
        add_dependencies(${daemon} swagger_ui_assets)
    endif()
endforeach()
