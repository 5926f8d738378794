# Copies the Swagger UI files the daemons serve at /docs from the npm package swagger-ui-dist
# (docs/swagger-ui/node_modules, installed by scripts/build.sh) into DEST. Without them the
# daemons still build and serve /openapi.json; /docs answers 503. Run at every build; a copy
# happens only when a file changed.
set(files swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js
    favicon-32x32.png favicon-16x16.png)
if(NOT EXISTS "${SOURCE}/swagger-ui-bundle.js")
    message(STATUS "Swagger UI not installed in ${SOURCE} (run: npm ci --prefix docs/swagger-ui): "
        "the daemons' /docs pages will answer 503")
    return()
endif()
file(MAKE_DIRECTORY "${DEST}")
foreach(name IN LISTS files)
    file(COPY_FILE "${SOURCE}/${name}" "${DEST}/${name}" ONLY_IF_DIFFERENT)
endforeach()
file(COPY_FILE "${SOURCE}/LICENSE" "${DEST}/LICENSE" ONLY_IF_DIFFERENT)
