# Writes an assembler file that embeds INPUT's bytes between the symbols
# xdsd_api_descriptor_set_begin and xdsd_api_descriptor_set_end. The file's hash is part of a
# label, so that a compiler cache sees a new input as a new source.
file(SHA256 "${INPUT}" digest)
file(WRITE "${OUTPUT}.tmp" "\
  .section .rodata
  .balign 16
  .global xdsd_api_descriptor_set_begin
  .global xdsd_api_descriptor_set_end
xdsd_api_descriptor_set_sha256_${digest}:
xdsd_api_descriptor_set_begin:
  .incbin \"${INPUT}\"
xdsd_api_descriptor_set_end:
  .byte 0
  .section .note.GNU-stack,\"\",@progbits
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
