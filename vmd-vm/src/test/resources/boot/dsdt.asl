/*
 * Reference DSDT for vmd.vm.boot.AcpiTables, written by hand from the design (not generated
 * from the Java builder). AcpiTablesTest compiles it with `iasl -oa` and compares the AML.
 * The _PRT lists slot s (1..31), pin p (0 = INTA) -> GSI 16 + (s + p) % 4.
 */
DefinitionBlock ("", "DSDT", 2, "VMDLNX", "VMDDSDT ", 1)
{
    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_BBN, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000)
            })
            Name (_PRT, Package ()
            {
                Package () { 0x0001FFFF, Zero, Zero, 17 },
                Package () { 0x0001FFFF, One, Zero, 18 },
                Package () { 0x0001FFFF, 2, Zero, 19 },
                Package () { 0x0001FFFF, 3, Zero, 16 },
                Package () { 0x0002FFFF, Zero, Zero, 18 },
                Package () { 0x0002FFFF, One, Zero, 19 },
                Package () { 0x0002FFFF, 2, Zero, 16 },
                Package () { 0x0002FFFF, 3, Zero, 17 },
                Package () { 0x0003FFFF, Zero, Zero, 19 },
                Package () { 0x0003FFFF, One, Zero, 16 },
                Package () { 0x0003FFFF, 2, Zero, 17 },
                Package () { 0x0003FFFF, 3, Zero, 18 },
                Package () { 0x0004FFFF, Zero, Zero, 16 },
                Package () { 0x0004FFFF, One, Zero, 17 },
                Package () { 0x0004FFFF, 2, Zero, 18 },
                Package () { 0x0004FFFF, 3, Zero, 19 },
                Package () { 0x0005FFFF, Zero, Zero, 17 },
                Package () { 0x0005FFFF, One, Zero, 18 },
                Package () { 0x0005FFFF, 2, Zero, 19 },
                Package () { 0x0005FFFF, 3, Zero, 16 },
                Package () { 0x0006FFFF, Zero, Zero, 18 },
                Package () { 0x0006FFFF, One, Zero, 19 },
                Package () { 0x0006FFFF, 2, Zero, 16 },
                Package () { 0x0006FFFF, 3, Zero, 17 },
                Package () { 0x0007FFFF, Zero, Zero, 19 },
                Package () { 0x0007FFFF, One, Zero, 16 },
                Package () { 0x0007FFFF, 2, Zero, 17 },
                Package () { 0x0007FFFF, 3, Zero, 18 },
                Package () { 0x0008FFFF, Zero, Zero, 16 },
                Package () { 0x0008FFFF, One, Zero, 17 },
                Package () { 0x0008FFFF, 2, Zero, 18 },
                Package () { 0x0008FFFF, 3, Zero, 19 },
                Package () { 0x0009FFFF, Zero, Zero, 17 },
                Package () { 0x0009FFFF, One, Zero, 18 },
                Package () { 0x0009FFFF, 2, Zero, 19 },
                Package () { 0x0009FFFF, 3, Zero, 16 },
                Package () { 0x000AFFFF, Zero, Zero, 18 },
                Package () { 0x000AFFFF, One, Zero, 19 },
                Package () { 0x000AFFFF, 2, Zero, 16 },
                Package () { 0x000AFFFF, 3, Zero, 17 },
                Package () { 0x000BFFFF, Zero, Zero, 19 },
                Package () { 0x000BFFFF, One, Zero, 16 },
                Package () { 0x000BFFFF, 2, Zero, 17 },
                Package () { 0x000BFFFF, 3, Zero, 18 },
                Package () { 0x000CFFFF, Zero, Zero, 16 },
                Package () { 0x000CFFFF, One, Zero, 17 },
                Package () { 0x000CFFFF, 2, Zero, 18 },
                Package () { 0x000CFFFF, 3, Zero, 19 },
                Package () { 0x000DFFFF, Zero, Zero, 17 },
                Package () { 0x000DFFFF, One, Zero, 18 },
                Package () { 0x000DFFFF, 2, Zero, 19 },
                Package () { 0x000DFFFF, 3, Zero, 16 },
                Package () { 0x000EFFFF, Zero, Zero, 18 },
                Package () { 0x000EFFFF, One, Zero, 19 },
                Package () { 0x000EFFFF, 2, Zero, 16 },
                Package () { 0x000EFFFF, 3, Zero, 17 },
                Package () { 0x000FFFFF, Zero, Zero, 19 },
                Package () { 0x000FFFFF, One, Zero, 16 },
                Package () { 0x000FFFFF, 2, Zero, 17 },
                Package () { 0x000FFFFF, 3, Zero, 18 },
                Package () { 0x0010FFFF, Zero, Zero, 16 },
                Package () { 0x0010FFFF, One, Zero, 17 },
                Package () { 0x0010FFFF, 2, Zero, 18 },
                Package () { 0x0010FFFF, 3, Zero, 19 },
                Package () { 0x0011FFFF, Zero, Zero, 17 },
                Package () { 0x0011FFFF, One, Zero, 18 },
                Package () { 0x0011FFFF, 2, Zero, 19 },
                Package () { 0x0011FFFF, 3, Zero, 16 },
                Package () { 0x0012FFFF, Zero, Zero, 18 },
                Package () { 0x0012FFFF, One, Zero, 19 },
                Package () { 0x0012FFFF, 2, Zero, 16 },
                Package () { 0x0012FFFF, 3, Zero, 17 },
                Package () { 0x0013FFFF, Zero, Zero, 19 },
                Package () { 0x0013FFFF, One, Zero, 16 },
                Package () { 0x0013FFFF, 2, Zero, 17 },
                Package () { 0x0013FFFF, 3, Zero, 18 },
                Package () { 0x0014FFFF, Zero, Zero, 16 },
                Package () { 0x0014FFFF, One, Zero, 17 },
                Package () { 0x0014FFFF, 2, Zero, 18 },
                Package () { 0x0014FFFF, 3, Zero, 19 },
                Package () { 0x0015FFFF, Zero, Zero, 17 },
                Package () { 0x0015FFFF, One, Zero, 18 },
                Package () { 0x0015FFFF, 2, Zero, 19 },
                Package () { 0x0015FFFF, 3, Zero, 16 },
                Package () { 0x0016FFFF, Zero, Zero, 18 },
                Package () { 0x0016FFFF, One, Zero, 19 },
                Package () { 0x0016FFFF, 2, Zero, 16 },
                Package () { 0x0016FFFF, 3, Zero, 17 },
                Package () { 0x0017FFFF, Zero, Zero, 19 },
                Package () { 0x0017FFFF, One, Zero, 16 },
                Package () { 0x0017FFFF, 2, Zero, 17 },
                Package () { 0x0017FFFF, 3, Zero, 18 },
                Package () { 0x0018FFFF, Zero, Zero, 16 },
                Package () { 0x0018FFFF, One, Zero, 17 },
                Package () { 0x0018FFFF, 2, Zero, 18 },
                Package () { 0x0018FFFF, 3, Zero, 19 },
                Package () { 0x0019FFFF, Zero, Zero, 17 },
                Package () { 0x0019FFFF, One, Zero, 18 },
                Package () { 0x0019FFFF, 2, Zero, 19 },
                Package () { 0x0019FFFF, 3, Zero, 16 },
                Package () { 0x001AFFFF, Zero, Zero, 18 },
                Package () { 0x001AFFFF, One, Zero, 19 },
                Package () { 0x001AFFFF, 2, Zero, 16 },
                Package () { 0x001AFFFF, 3, Zero, 17 },
                Package () { 0x001BFFFF, Zero, Zero, 19 },
                Package () { 0x001BFFFF, One, Zero, 16 },
                Package () { 0x001BFFFF, 2, Zero, 17 },
                Package () { 0x001BFFFF, 3, Zero, 18 },
                Package () { 0x001CFFFF, Zero, Zero, 16 },
                Package () { 0x001CFFFF, One, Zero, 17 },
                Package () { 0x001CFFFF, 2, Zero, 18 },
                Package () { 0x001CFFFF, 3, Zero, 19 },
                Package () { 0x001DFFFF, Zero, Zero, 17 },
                Package () { 0x001DFFFF, One, Zero, 18 },
                Package () { 0x001DFFFF, 2, Zero, 19 },
                Package () { 0x001DFFFF, 3, Zero, 16 },
                Package () { 0x001EFFFF, Zero, Zero, 18 },
                Package () { 0x001EFFFF, One, Zero, 19 },
                Package () { 0x001EFFFF, 2, Zero, 16 },
                Package () { 0x001EFFFF, 3, Zero, 17 },
                Package () { 0x001FFFFF, Zero, Zero, 19 },
                Package () { 0x001FFFFF, One, Zero, 16 },
                Package () { 0x001FFFFF, 2, Zero, 17 },
                Package () { 0x001FFFFF, 3, Zero, 18 }
            })
        }

        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
                IRQNoFlags () {4}
            })
        }

        Device (RTC)
        {
            Name (_HID, EisaId ("PNP0B00"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0070, 0x0070, 0x00, 0x02)
                IRQNoFlags () {8}
            })
        }
    }

    Name (\_S5, Package () { 5, 5, Zero, Zero })
}
