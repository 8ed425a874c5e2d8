<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="sw" sourcelanguage="en">
<context>
    <name>AdminTables</name>
    <message>
        <source>Not done</source>
        <translation>Haikufanyika</translation>
    </message>
</context>
<context>
    <name>AmendDialog</name>
    <message>
        <source>Amend signed notes</source>
        <translation>Rekebisha maelezo yaliyotiwa sahihi</translation>
    </message>
    <message>
        <source>Why the signed note is changed (required)</source>
        <translation>Kwa nini maelezo yaliyotiwa sahihi yanabadilishwa (lazima)</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Maelezo</translation>
    </message>
    <message>
        <source>Now reads</source>
        <translation>Ilivyo sasa</translation>
    </message>
    <message>
        <source>Amended text</source>
        <translation>Maandishi yaliyorekebishwa</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Sababu</translation>
    </message>
    <message>
        <source>Save amendment</source>
        <translation>Hifadhi marekebisho</translation>
    </message>
    <message>
        <source>The signed text stays as it was; the amendment is kept beside it.</source>
        <translation>Maandishi yaliyotiwa sahihi yanabaki kama yalivyokuwa; marekebisho yanahifadhiwa kando yake.</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>(tupu)</translation>
    </message>
</context>
<context>
    <name>AmendmentsTable</name>
    <message>
        <source>When</source>
        <translation>Lini</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Maelezo</translation>
    </message>
    <message>
        <source>Old → new</source>
        <translation>Awali → sasa</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Sababu</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>(tupu)</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Today&apos;s backup failed: %1</source>
        <translation>Nakala rudufu ya leo imeshindwa: %1</translation>
    </message>
    <message>
        <source>This PC is now the clinic server. Log in as admin with the one-time password %1 (shown only now); you will choose your own password next.</source>
        <translation>Kompyuta hii sasa ni seva ya kliniki. Ingia kama msimamizi kwa nenosiri la mara moja %1 (linaonyeshwa sasa tu); kisha utachagua nenosiri lako mwenyewe.</translation>
    </message>
    <message>
        <source>Starting the demo clinic…</source>
        <translation>Inaanzisha kliniki ya majaribio…</translation>
    </message>
    <message>
        <source>Starting the clinic server…</source>
        <translation>Inaanzisha seva ya kliniki…</translation>
    </message>
    <message>
        <source>Encrypting this PC&apos;s clinic data (once, after the upgrade)…</source>
        <translation>Inasimba data ya kliniki ya kompyuta hii (mara moja, baada ya kusasisha)…</translation>
    </message>
    <message>
        <source>Updating this PC&apos;s clinic data (once, after the upgrade)…</source>
        <translation>Inasasisha data ya kliniki ya kompyuta hii (mara moja, baada ya kusasisha)…</translation>
    </message>
    <message>
        <source>This PC&apos;s clinic data was last opened by a newer version of Seth Clinic (revision %1), which this version cannot read. Install that version or a newer one; nothing was changed.</source>
        <translation>Data ya kliniki ya kompyuta hii ilifunguliwa mwisho na toleo jipya zaidi la Seth Clinic (toleo %1), ambalo toleo hili haliwezi kusoma. Sakinisha toleo hilo au jipya zaidi; hakuna kilichobadilishwa.</translation>
    </message>
    <message>
        <source>Working offline: %1</source>
        <translation>Unafanya kazi nje ya mtandao: %1</translation>
    </message>
</context>
<context>
    <name>AuditScreen</name>
    <message>
        <source>Audit log</source>
        <translation>Kumbukumbu za ukaguzi</translation>
    </message>
    <message>
        <source>Verify the chains</source>
        <translation>Thibitisha minyororo</translation>
    </message>
    <message>
        <source>Check that no event was edited, deleted or reordered</source>
        <translation>Hakikisha hakuna tukio lililohaririwa, kufutwa au kupangwa upya</translation>
    </message>
    <message>
        <source>OP number, phone or name</source>
        <translation>Nambari ya OP, simu au jina</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Tafuta</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Mtumiaji</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Kuanzia</translation>
    </message>
    <message>
        <source>to</source>
        <translation>hadi</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Kitendo</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Lini</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Rekodi</translation>
    </message>
    <message>
        <source>PC · event</source>
        <translation>Kompyuta · tukio</translation>
    </message>
    <message>
        <source>Pick an event to see its values</source>
        <translation>Chagua tukio kuona thamani zake</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Sehemu</translation>
    </message>
    <message>
        <source>Before</source>
        <translation>Kabla</translation>
    </message>
    <message>
        <source>After</source>
        <translation>Baada</translation>
    </message>
    <message>
        <source>Checked on</source>
        <translation>Imekaguliwa</translation>
    </message>
    <message>
        <source>PC</source>
        <translation>Kompyuta</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>Matukio</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Matokeo</translation>
    </message>
    <message>
        <source>Anyone</source>
        <translation>Yeyote</translation>
    </message>
    <message>
        <source>Check the search: the last day comes before the first</source>
        <translation>Angalia utafutaji: siku ya mwisho inatangulia ya kwanza</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Inatafuta…</translation>
    </message>
    <message>
        <source>this PC&apos;s log</source>
        <translation>kumbukumbu za kompyuta hii</translation>
    </message>
    <message>
        <source>the server (every PC)</source>
        <translation>seva (kompyuta zote)</translation>
    </message>
    <message>
        <source>this PC&apos;s log, as the server could not be asked (%1)</source>
        <translation>kumbukumbu za kompyuta hii, kwa kuwa seva haikupatikana (%1)</translation>
    </message>
    <message>
        <source>Check the search: %1</source>
        <translation>Angalia utafutaji: %1</translation>
    </message>
    <message>
        <source>No patient matches %1</source>
        <translation>Hakuna mgonjwa anayelingana na %1</translation>
    </message>
    <message>
        <source> about %1 (%2)</source>
        <translation> kuhusu %1 (%2)</translation>
    </message>
    <message numerus="yes">
        <source>%n event(s)</source>
        <translation>
            <numerusform>tukio %n</numerusform>
            <numerusform>matukio %n</numerusform>
        </translation>
    </message>
    <message>
        <source>searched %1</source>
        <translation>imetafutwa katika %1</translation>
    </message>
    <message>
        <source>%1 by %2, %3</source>
        <translation>%1 na %2, %3</translation>
    </message>
    <message>
        <source>the PC itself</source>
        <translation>kompyuta yenyewe</translation>
    </message>
    <message>
        <source>Verifying…</source>
        <translation>Inathibitisha…</translation>
    </message>
    <message>
        <source>this PC</source>
        <translation>kompyuta hii</translation>
    </message>
    <message>
        <source>the server</source>
        <translation>seva</translation>
    </message>
    <message>
        <source>%1 could not be checked: %2</source>
        <translation>%1 haikuweza kukaguliwa: %2</translation>
    </message>
    <message>
        <source>%1: no events to check</source>
        <translation>%1: hakuna matukio ya kukagua</translation>
    </message>
    <message>
        <source>%1: %2 of %3 chains BROKEN</source>
        <translation>%1: minyororo %2 kati ya %3 IMEVUNJIKA</translation>
    </message>
    <message>
        <source>%1: all intact (%2 chain(s), %3 events)</source>
        <translation>%1: yote iko salama (minyororo %2, matukio %3)</translation>
    </message>
    <message>
        <source>Intact</source>
        <translation>Salama</translation>
    </message>
</context>
<context>
    <name>BackupScreen</name>
    <message>
        <source>Backups</source>
        <translation>Nakala rudufu</translation>
    </message>
    <message>
        <source>Back up now…</source>
        <translation>Hifadhi nakala sasa…</translation>
    </message>
    <message>
        <source>The app backs this PC&apos;s data up each day into %1 and keeps the last %2. To restore one, use seth-clinic restore FILE into an empty data folder.</source>
        <translation>Programu huhifadhi nakala ya data ya kompyuta hii kila siku katika %1 na hubakiza nakala %2 za mwisho. Kurejesha mojawapo, tumia seth-clinic restore FILE kwenye folda tupu ya data.</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>Siku</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Ukubwa</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Faili</translation>
    </message>
    <message>
        <source>Back up to</source>
        <translation>Hifadhi nakala kwenye</translation>
    </message>
    <message>
        <source>Seth Clinic backup (*.sqlite3)</source>
        <translation>Nakala rudufu ya Seth Clinic (*.sqlite3)</translation>
    </message>
    <message>
        <source>Backed up to %1 (%2 changes not yet synced).</source>
        <translation>Nakala imehifadhiwa kwenye %1 (mabadiliko %2 bado hayajasawazishwa).</translation>
    </message>
    <message>
        <source>The backup failed: %1</source>
        <translation>Kuhifadhi nakala kumeshindikana: %1</translation>
    </message>
</context>
<context>
    <name>BillState</name>
    <message>
        <source>To bill</source>
        <translation>Haijatozwa</translation>
    </message>
    <message>
        <source>Unpaid</source>
        <translation>Haijalipwa</translation>
    </message>
    <message>
        <source>Part paid</source>
        <translation>Imelipwa kiasi</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Imelipwa</translation>
    </message>
</context>
<context>
    <name>BillingScreen</name>
    <message>
        <source>Billing</source>
        <translation>Malipo</translation>
    </message>
    <message>
        <source>&lt;b&gt;Waiting to pay today&lt;/b&gt;</source>
        <translation>&lt;b&gt;Wanaosubiri kulipa leo&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Open a visit from the list to bill it.</source>
        <translation>Fungua ziara kutoka kwenye orodha ili kuitoza bili.</translation>
    </message>
    <message>
        <source>Add a service: type to search</source>
        <translation>Ongeza huduma: andika kutafuta</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Ongeza</translation>
    </message>
    <message>
        <source>Remove line</source>
        <translation>Ondoa mstari</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>Idadi</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Jumla</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Kilicholipwa</translation>
    </message>
    <message>
        <source>Balance</source>
        <translation>Salio</translation>
    </message>
    <message>
        <source>Create invoice  (Ctrl+Enter)</source>
        <translation>Unda ankara  (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>Bill</source>
        <translation>Bili</translation>
    </message>
    <message>
        <source>A4 page</source>
        <translation>Ukurasa wa A4</translation>
    </message>
    <message>
        <source>80 mm roll</source>
        <translation>Roli ya mm 80</translation>
    </message>
    <message>
        <source>Print receipt…  (Ctrl+P)</source>
        <translation>Chapisha risiti…  (Ctrl+P)</translation>
    </message>
    <message>
        <source>Save receipt as PDF…</source>
        <translation>Hifadhi risiti kama PDF…</translation>
    </message>
    <message>
        <source>Reverse…</source>
        <translation>Batilisha…</translation>
    </message>
    <message>
        <source>Paper</source>
        <translation>Karatasi</translation>
    </message>
    <message>
        <source>Payments and receipts</source>
        <translation>Malipo na risiti</translation>
    </message>
    <message numerus="yes">
        <source>%n waiting</source>
        <translation>
            <numerusform>%n anasubiri</numerusform>
            <numerusform>%n wanasubiri</numerusform>
        </translation>
    </message>
    <message>
        <source>%s due</source>
        <translation>inadaiwa %s</translation>
    </message>
    <message>
        <source>Not billed yet: check the lines, then create the invoice</source>
        <translation>Bado haijatozwa: kagua mistari, kisha unda ankara</translation>
    </message>
    <message>
        <source>Invoice %s</source>
        <translation>Ankara %s</translation>
    </message>
    <message>
        <source>unpaid</source>
        <translation>haijalipwa</translation>
    </message>
    <message>
        <source>part paid</source>
        <translation>imelipwa kiasi</translation>
    </message>
    <message>
        <source>paid in full</source>
        <translation>imelipwa kikamilifu</translation>
    </message>
    <message>
        <source>No open shift on this PC: cash needs one (open it on the Shifts screen).</source>
        <translation>Hakuna zamu iliyo wazi kwenye kompyuta hii: pesa taslimu zinahitaji zamu (ifungue kwenye skrini ya Zamu).</translation>
    </message>
    <message>
        <source>Pick a service from the price list first</source>
        <translation>Chagua huduma kutoka orodha ya bei kwanza</translation>
    </message>
    <message>
        <source>Quantity must be a whole number from 1 to 10,000</source>
        <translation>Idadi lazima iwe nambari kamili kuanzia 1 hadi 10,000</translation>
    </message>
    <message>
        <source>Not on the price list: %s. Select the line and add the right service in its place, or remove it.</source>
        <translation>Haiko kwenye orodha ya bei: %s. Chagua mstari na uongeze huduma sahihi mahali pake, au uuondoe.</translation>
    </message>
    <message>
        <source>Invoice created. Take the payment.</source>
        <translation>Ankara imeundwa. Pokea malipo.</translation>
    </message>
    <message>
        <source>Receipt %s</source>
        <translation>Risiti %s</translation>
    </message>
    <message>
        <source>Change %s</source>
        <translation>Chenji %s</translation>
    </message>
    <message>
        <source>M-Pesa code used before</source>
        <translation>Msimbo wa M-Pesa umetumika awali</translation>
    </message>
    <message>
        <source>M-Pesa code %s was used before:</source>
        <translation>Msimbo wa M-Pesa %s ulitumika awali:</translation>
    </message>
    <message>
        <source>Check the M-Pesa message. Take this payment anyway?</source>
        <translation>Kagua ujumbe wa M-Pesa. Pokea malipo haya hata hivyo?</translation>
    </message>
    <message>
        <source>Take it anyway</source>
        <translation>Pokea hata hivyo</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Ghairi</translation>
    </message>
    <message>
        <source>Used before; check the code</source>
        <translation>Umetumika awali; kagua msimbo</translation>
    </message>
    <message>
        <source>Save receipt</source>
        <translation>Hifadhi risiti</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>Faili za PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Could not save the receipt: %s</source>
        <translation>Imeshindwa kuhifadhi risiti: %s</translation>
    </message>
    <message>
        <source>Receipt %s saved to %s</source>
        <translation>Risiti %s imehifadhiwa kwenye %s</translation>
    </message>
    <message>
        <source>Could not print the receipt: %s</source>
        <translation>Imeshindwa kuchapisha risiti: %s</translation>
    </message>
    <message>
        <source>Receipt %s sent to the printer</source>
        <translation>Risiti %s imetumwa kwa printa</translation>
    </message>
    <message>
        <source>Reversal receipt %s</source>
        <translation>Risiti ya kubatilisha %s</translation>
    </message>
</context>
<context>
    <name>BranchesScreen</name>
    <message>
        <source>Branches</source>
        <translation>Matawi</translation>
    </message>
    <message>
        <source>New branch</source>
        <translation>Tawi jipya</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Msimbo</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Jina</translation>
    </message>
    <message>
        <source>KMHFL code</source>
        <translation>Msimbo wa KMHFL</translation>
    </message>
    <message>
        <source>SHA facility id</source>
        <translation>Kitambulisho cha kituo cha SHA</translation>
    </message>
    <message>
        <source>e.g. WEST</source>
        <translation>k.m. WEST</translation>
    </message>
    <message>
        <source>the facility&apos;s number, e.g. 13023</source>
        <translation>nambari ya kituo, k.m. 13023</translation>
    </message>
    <message>
        <source>Add branch</source>
        <translation>Ongeza tawi</translation>
    </message>
    <message>
        <source>Change %1</source>
        <translation>Badilisha %1</translation>
    </message>
    <message>
        <source>Save changes</source>
        <translation>Hifadhi mabadiliko</translation>
    </message>
</context>
<context>
    <name>CashUpPanel</name>
    <message>
        <source>&amp;Show</source>
        <translation>&amp;Onyesha</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>Siku</translation>
    </message>
    <message>
        <source>Shifts (every PC, as far as synced)</source>
        <translation>Zamu (kompyuta zote, kadiri zilivyosawazishwa)</translation>
    </message>
    <message>
        <source>The branch&apos;s day by method</source>
        <translation>Siku ya tawi kwa njia ya malipo</translation>
    </message>
    <message>
        <source>This PC has no branch yet: log in online once.</source>
        <translation>Kompyuta hii bado haina tawi: ingia ukiwa mtandaoni mara moja.</translation>
    </message>
    <message>
        <source>Could not read the cash-up: %s</source>
        <translation>Imeshindwa kusoma hesabu ya pesa: %s</translation>
    </message>
    <message>
        <source>No shifts were opened at this branch on this day.</source>
        <translation>Hakuna zamu zilizofunguliwa katika tawi hili siku hii.</translation>
    </message>
    <message>
        <source>%d shifts: expected cash %s, counted %s, variance %s.</source>
        <translation>Zamu %d: pesa taslimu zinazotarajiwa %s, zilizohesabiwa %s, tofauti %s.</translation>
    </message>
    <message>
        <source>%d still open: their cash is expected but not yet counted.</source>
        <translation>%d bado ziko wazi: pesa zao zinatarajiwa lakini bado hazijahesabiwa.</translation>
    </message>
</context>
<context>
    <name>CashUpPrint</name>
    <message>
        <source>still open</source>
        <translation>bado iko wazi</translation>
    </message>
    <message>
        <source>%s reversal</source>
        <translation>%s iliyorejeshwa</translation>
    </message>
    <message>
        <source>No payments in this shift.</source>
        <translation>Hakuna malipo katika zamu hii.</translation>
    </message>
    <message>
        <source>Shift cash-up</source>
        <translation>Hesabu ya pesa ya zamu</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>Keshia</translation>
    </message>
    <message>
        <source>PC</source>
        <translation>Kompyuta</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>Ilifunguliwa</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Ilifungwa</translation>
    </message>
    <message>
        <source>Opening float</source>
        <translation>Pesa ya kuanzia</translation>
    </message>
    <message>
        <source>Payments</source>
        <translation>Malipo</translation>
    </message>
    <message>
        <source>reversals</source>
        <translation>marejesho</translation>
    </message>
    <message>
        <source>By method</source>
        <translation>Kwa njia ya malipo</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>Njia</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>Imepokelewa</translation>
    </message>
    <message>
        <source>Reversed</source>
        <translation>Imerejeshwa</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>Inatarajiwa</translation>
    </message>
    <message>
        <source>Counted</source>
        <translation>Imehesabiwa</translation>
    </message>
    <message>
        <source>Variance</source>
        <translation>Tofauti</translation>
    </message>
    <message>
        <source>Expected cash is the opening float plus cash received less cash given back.</source>
        <translation>Pesa taslimu inayotarajiwa ni pesa ya kuanzia pamoja na pesa taslimu iliyopokelewa, ukitoa pesa iliyorudishwa.</translation>
    </message>
    <message>
        <source>Payments and reversals</source>
        <translation>Malipo na marejesho</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Saa</translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation>Risiti</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Kiasi</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Kumbukumbu</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>Cashier&apos;s signature</source>
        <translation>Sahihi ya keshia</translation>
    </message>
    <message>
        <source>Checked by</source>
        <translation>Imekaguliwa na</translation>
    </message>
</context>
<context>
    <name>CataloguePanel</name>
    <message>
        <source>&amp;New test</source>
        <translation>Kipimo &amp;kipya</translation>
    </message>
    <message>
        <source>A band applies below its age in years (null: everyone older) to sex F, M or null (anyone); the first that fits the patient is used. Values outside normal_low to normal_high are flagged low or high, beyond a critical limit critical. Results already entered keep the flags they were given.</source>
        <translation>Kiwango hutumika chini ya umri wake kwa miaka (null: kila aliye mkubwa zaidi) kwa jinsia F, M au null (yeyote); cha kwanza kinachomfaa mgonjwa ndicho hutumika. Thamani zilizo nje ya normal_low hadi normal_high huwekwa alama ya chini au juu, na zilizozidi kikomo cha hatari huwekwa alama ya hatari. Matokeo yaliyokwisha kuingizwa hubaki na alama yaliyopewa.</translation>
    </message>
    <message>
        <source>&amp;Save this test</source>
        <translation>&amp;Hifadhi kipimo hiki</translation>
    </message>
    <message>
        <source>  (clinic&apos;s version)</source>
        <translation>  (toleo la kliniki)</translation>
    </message>
    <message>
        <source>Line %d, column %d: %s</source>
        <translation>Mstari %d, safu %d: %s</translation>
    </message>
    <message>
        <source>Write the test as one JSON object { … }</source>
        <translation>Andika kipimo kama kitu kimoja cha JSON { … }</translation>
    </message>
    <message>
        <source>Saved %s: new results are flagged by it.</source>
        <translation>Imehifadhiwa %s: matokeo mapya yatawekewa alama kulingana nacho.</translation>
    </message>
</context>
<context>
    <name>Claims</name>
    <message>
        <source>Draft</source>
        <translation>Rasimu</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Tayari</translation>
    </message>
    <message>
        <source>SHA invoice printed</source>
        <translation>Ankara ya SHA imechapishwa</translation>
    </message>
    <message>
        <source>Submitted</source>
        <translation>Imewasilishwa</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>Imeidhinishwa</translation>
    </message>
    <message>
        <source>Partially approved</source>
        <translation>Imeidhinishwa kwa sehemu</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>Imekataliwa</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Imelipwa</translation>
    </message>
    <message>
        <source>Back to draft</source>
        <translation>Rudisha kuwa rasimu</translation>
    </message>
    <message>
        <source>Mark ready</source>
        <translation>Weka tayari</translation>
    </message>
    <message>
        <source>Submitted to SHA</source>
        <translation>Imewasilishwa kwa SHA</translation>
    </message>
    <message>
        <source>Approved by SHA</source>
        <translation>Imeidhinishwa na SHA</translation>
    </message>
    <message>
        <source>Partly approved</source>
        <translation>Imeidhinishwa kwa sehemu</translation>
    </message>
    <message>
        <source>Rejected by SHA</source>
        <translation>Imekataliwa na SHA</translation>
    </message>
    <message>
        <source>Paid by SHA</source>
        <translation>Imelipwa na SHA</translation>
    </message>
    <message>
        <source>Weekly</source>
        <translation>Kila wiki</translation>
    </message>
    <message>
        <source>Monthly</source>
        <translation>Kila mwezi</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>Visit</source>
        <translation>Ziara</translation>
    </message>
    <message>
        <source>Claimed</source>
        <translation>Kilichodaiwa</translation>
    </message>
    <message>
        <source>containing</source>
        <translation>yenye</translation>
    </message>
    <message>
        <source>New batch from ready claims</source>
        <translation>Kundi jipya la madai yaliyo tayari</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>Kipindi</translation>
    </message>
    <message>
        <source>Claims</source>
        <translation>Madai</translation>
    </message>
    <message>
        <source>SHA reference</source>
        <translation>Kumbukumbu ya SHA</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Hali</translation>
    </message>
    <message>
        <source>SHA portal reference (optional)</source>
        <translation>Kumbukumbu ya tovuti ya SHA (si lazima)</translation>
    </message>
    <message>
        <source>Submit to SHA</source>
        <translation>Wasilisha kwa SHA</translation>
    </message>
    <message>
        <source>Export SHA CSV…</source>
        <translation>Hamisha CSV ya SHA…</translation>
    </message>
    <message>
        <source>Export FHIR bundles…</source>
        <translation>Hamisha vifurushi vya FHIR…</translation>
    </message>
    <message>
        <source>Batches</source>
        <translation>Makundi</translation>
    </message>
    <message>
        <source>Claims in the batch (double-click to open):</source>
        <translation>Madai katika kundi (bofya mara mbili kufungua):</translation>
    </message>
    <message>
        <source>Ready claims of visits from {start} to {end}, not in a batch:</source>
        <translation>Madai yaliyo tayari ya ziara kuanzia {start} hadi {end}, ambayo hayako katika kundi:</translation>
    </message>
    <message>
        <source>not yet</source>
        <translation>bado</translation>
    </message>
    <message>
        <source>Make a batch of {count} claims ({amount})</source>
        <translation>Tengeneza kundi la madai {count} ({amount})</translation>
    </message>
    <message>
        <source>Batch made with {count} claims.</source>
        <translation>Kundi limetengenezwa lenye madai {count}.</translation>
    </message>
    <message>
        <source>Batch submitted: its {count} claims are locked as submitted.</source>
        <translation>Kundi limewasilishwa: madai yake {count} yamefungwa kama yaliyowasilishwa.</translation>
    </message>
    <message>
        <source>Export the SHA CSV</source>
        <translation>Hamisha CSV ya SHA</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Faili za CSV (*.csv)</translation>
    </message>
    <message>
        <source>Folder for the FHIR bundles</source>
        <translation>Folda ya vifurushi vya FHIR</translation>
    </message>
    <message>
        <source>Wrote {count} file(s) to {folder}</source>
        <translation>Faili {count} zimeandikwa kwenye {folder}</translation>
    </message>
    <message>
        <source>Open the patient</source>
        <translation>Fungua mgonjwa</translation>
    </message>
    <message>
        <source>Open the consultation</source>
        <translation>Fungua ushauri wa tabibu</translation>
    </message>
    <message>
        <source>Open the price list</source>
        <translation>Fungua orodha ya bei</translation>
    </message>
    <message>
        <source>Bring up to date</source>
        <translation>Sasisha</translation>
    </message>
    <message>
        <source>Reception corrects the patient&apos;s details.</source>
        <translation>Mapokezi yanasahihisha taarifa za mgonjwa.</translation>
    </message>
    <message>
        <source>The clinician corrects the consultation (an amendment once signed).</source>
        <translation>Tabibu anasahihisha ushauri (marekebisho ikiwa umeshatiwa sahihi).</translation>
    </message>
    <message>
        <source>An admin corrects the price list.</source>
        <translation>Msimamizi anasahihisha orodha ya bei.</translation>
    </message>
    <message>
        <source>Once the invoice is right, bring the draft claim up to date from it.</source>
        <translation>Ankara ikishakuwa sahihi, sasisha rasimu ya dai kutoka kwayo.</translation>
    </message>
    <message>
        <source>← Back to the list</source>
        <translation>← Rudi kwenye orodha</translation>
    </message>
    <message>
        <source>Esc</source>
        <translation>Esc</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Inapakia…</translation>
    </message>
    <message>
        <source>Print SHA invoice</source>
        <translation>Chapisha ankara ya SHA</translation>
    </message>
    <message>
        <source>Save as PDF…</source>
        <translation>Hifadhi kama PDF…</translation>
    </message>
    <message>
        <source>Claim</source>
        <translation>Dai</translation>
    </message>
    <message>
        <source>SHA number</source>
        <translation>Nambari ya SHA</translation>
    </message>
    <message>
        <source>Facility</source>
        <translation>Kituo</translation>
    </message>
    <message>
        <source>Clinician</source>
        <translation>Tabibu</translation>
    </message>
    <message>
        <source>Diagnoses</source>
        <translation>Utambuzi</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>Kipengee</translation>
    </message>
    <message>
        <source>Intervention code</source>
        <translation>Msimbo wa huduma</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>Idadi</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Kiasi</translation>
    </message>
    <message>
        <source>SHA tariff</source>
        <translation>Bei ya SHA</translation>
    </message>
    <message>
        <source>Lines</source>
        <translation>Mistari</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Lini</translation>
    </message>
    <message>
        <source>Move</source>
        <translation>Hamisha</translation>
    </message>
    <message>
        <source>By</source>
        <translation>Na</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Dokezo</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historia</translation>
    </message>
    <message>
        <source>What SHA would reject</source>
        <translation>Ambacho SHA ingekataa</translation>
    </message>
    <message>
        <source>Take the patient&apos;s SHA numbers and the invoice&apos;s lines again, after reception, the cashier or the price list fixed them</source>
        <translation>Chukua tena nambari za SHA za mgonjwa na mistari ya ankara, baada ya mapokezi, keshia au orodha ya bei kuzisahihisha</translation>
    </message>
    <message>
        <source>Move the claim</source>
        <translation>Hamisha dai</translation>
    </message>
    <message>
        <source>Move to</source>
        <translation>Hamisha hadi</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Sababu</translation>
    </message>
    <message>
        <source>Approved (KES)</source>
        <translation>Kilichoidhinishwa (KES)</translation>
    </message>
    <message>
        <source>Paid (KES)</source>
        <translation>Kilicholipwa (KES)</translation>
    </message>
    <message>
        <source>Paid on</source>
        <translation>Ililipwa tarehe</translation>
    </message>
    <message>
        <source>none</source>
        <translation>hakuna</translation>
    </message>
    <message>
        <source> (dependant of {principal})</source>
        <translation> (mtegemezi wa {principal})</translation>
    </message>
    <message>
        <source>signed {when}</source>
        <translation>imetiwa sahihi {when}</translation>
    </message>
    <message>
        <source>not signed</source>
        <translation>haijatiwa sahihi</translation>
    </message>
    <message>
        <source>SHA rejected this claim: {reason}</source>
        <translation>SHA imekataa dai hili: {reason}</translation>
    </message>
    <message>
        <source>Brought up to date from the patient and the invoice.</source>
        <translation>Imesasishwa kutoka kwa mgonjwa na ankara.</translation>
    </message>
    <message>
        <source>✓ Nothing missing: SHA has what it needs.</source>
        <translation>✓ Hakuna kinachokosekana: SHA ina kila inachohitaji.</translation>
    </message>
    <message>
        <source>{count} to fix before the claim can be ready:</source>
        <translation>{count} vya kusahihisha kabla dai halijawa tayari:</translation>
    </message>
    <message>
        <source>Claims are submitted with their batch, on the Batches tab.</source>
        <translation>Madai yanawasilishwa pamoja na kundi lake, kwenye kichupo cha Makundi.</translation>
    </message>
    <message>
        <source>A paid claim is closed.</source>
        <translation>Dai lililolipwa limefungwa.</translation>
    </message>
    <message>
        <source>Your role cannot move claims.</source>
        <translation>Jukumu lako haliwezi kuhamisha madai.</translation>
    </message>
    <message>
        <source>Moved to: {status}.</source>
        <translation>Imehamishwa hadi: {status}.</translation>
    </message>
    <message>
        <source>The claim was not moved: {reason}</source>
        <translation>Dai halikuhamishwa: {reason}</translation>
    </message>
    <message>
        <source>Save the SHA invoice</source>
        <translation>Hifadhi ankara ya SHA</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>Faili za PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>Imehifadhiwa {path}</translation>
    </message>
    <message>
        <source>All branches</source>
        <translation>Matawi yote</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Onyesha</translation>
    </message>
    <message>
        <source>Visits from</source>
        <translation>Ziara kuanzia</translation>
    </message>
    <message>
        <source>to</source>
        <translation>hadi</translation>
    </message>
    <message>
        <source>Ages in days since submission, on {day}</source>
        <translation>Umri kwa siku tangu kuwasilishwa, tarehe {day}</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Approved / paid</source>
        <translation>Imeidhinishwa / imelipwa</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>Hali zote</translation>
    </message>
    <message>
        <source>Sent, not paid</source>
        <translation>Imetumwa, haijalipwa</translation>
    </message>
    <message>
        <source>Patient name, OP number or SHA number</source>
        <translation>Jina la mgonjwa, nambari ya OP au nambari ya SHA</translation>
    </message>
    <message>
        <source>{count} claims, {amount} claimed</source>
        <translation>Madai {count}, {amount} yamedaiwa</translation>
    </message>
    <message>
        <source>SHA claims</source>
        <translation>Madai ya SHA</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>Ufuatiliaji</translation>
    </message>
</context>
<context>
    <name>CloseShiftDialog</name>
    <message>
        <source>Close the shift</source>
        <translation>Funga zamu</translation>
    </message>
    <message>
        <source>Opening float</source>
        <translation>Pesa za kuanzia</translation>
    </message>
    <message>
        <source>Cash taken (net)</source>
        <translation>Pesa taslimu zilizopokelewa (halisi)</translation>
    </message>
    <message>
        <source>Expected cash in the drawer</source>
        <translation>Pesa taslimu zinazotarajiwa kwenye droo</translation>
    </message>
    <message>
        <source>%s expected (not counted here)</source>
        <translation>%s zinatarajiwa (hazihesabiwi hapa)</translation>
    </message>
    <message>
        <source>e.g. 12,450</source>
        <translation>k.m. 12,450</translation>
    </message>
    <message>
        <source>Use the notes and coins total</source>
        <translation>Tumia jumla ya noti na sarafu</translation>
    </message>
    <message>
        <source>Cash counted</source>
        <translation>Pesa taslimu zilizohesabiwa</translation>
    </message>
    <message>
        <source>Variance (counted − expected)</source>
        <translation>Tofauti (zilizohesabiwa − zinazotarajiwa)</translation>
    </message>
    <message>
        <source>Close shift</source>
        <translation>Funga zamu</translation>
    </message>
    <message>
        <source>Keep it open</source>
        <translation>Iache wazi</translation>
    </message>
    <message>
        <source>Closing is final: payments after it need a new shift.</source>
        <translation>Kufunga ni hatua ya mwisho: malipo baada yake yanahitaji zamu mpya.</translation>
    </message>
</context>
<context>
    <name>ConflictsScreen</name>
    <message>
        <source>Conflicts</source>
        <translation>Migongano</translation>
    </message>
    <message>
        <source>Show settled ones</source>
        <translation>Onyesha iliyotatuliwa</translation>
    </message>
    <message>
        <source>Two PCs changed the same field before they synced. The change that reached the server last was kept; keep it, or use the other value instead.</source>
        <translation>Kompyuta mbili zilibadilisha sehemu ile ile kabla ya kusawazisha. Badiliko lililofika kwenye seva mwisho ndilo lililobakizwa; libakize, au tumia thamani nyingine badala yake.</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Rekodi</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Sehemu</translation>
    </message>
    <message>
        <source>Kept value</source>
        <translation>Thamani iliyobakizwa</translation>
    </message>
    <message>
        <source>Kept: by, when</source>
        <translation>Iliyobakizwa: na nani, lini</translation>
    </message>
    <message>
        <source>Other value</source>
        <translation>Thamani nyingine</translation>
    </message>
    <message>
        <source>Other: by, when</source>
        <translation>Nyingine: na nani, lini</translation>
    </message>
    <message>
        <source>Settled</source>
        <translation>Umetatuliwa</translation>
    </message>
    <message>
        <source>Keep the kept value</source>
        <translation>Bakiza thamani iliyobakizwa</translation>
    </message>
    <message>
        <source>Use the other value</source>
        <translation>Tumia thamani nyingine</translation>
    </message>
    <message>
        <source>Pick a conflict to see its record</source>
        <translation>Chagua mgongano kuona rekodi yake</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>Sasa</translation>
    </message>
    <message numerus="yes">
        <source>%n settled</source>
        <translation>
            <numerusform>%n umetatuliwa</numerusform>
            <numerusform>%n imetatuliwa</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n to settle</source>
        <translation>
            <numerusform>%n wa kutatua</numerusform>
            <numerusform>%n ya kutatua</numerusform>
        </translation>
    </message>
    <message>
        <source>%1: kept %2 (%3, reached the server last); the other value %4 (%5).</source>
        <translation>%1: imebakizwa %2 (%3, ilifika kwenye seva mwisho); thamani nyingine %4 (%5).</translation>
    </message>
    <message>
        <source>%1 now</source>
        <translation>%1 sasa</translation>
    </message>
    <message>
        <source>(deleted)</source>
        <translation>(imefutwa)</translation>
    </message>
</context>
<context>
    <name>ConsultationScreen</name>
    <message>
        <source>Consultation</source>
        <translation>Mashauriano</translation>
    </message>
    <message>
        <source>Waiting for consultation</source>
        <translation>Wanaosubiri mashauriano</translation>
    </message>
    <message>
        <source>No patients are waiting for consultation.</source>
        <translation>Hakuna wagonjwa wanaosubiri mashauriano.</translation>
    </message>
    <message>
        <source>Presenting complaint and its duration</source>
        <translation>Malalamiko makuu na muda wake</translation>
    </message>
    <message>
        <source>History of the presenting illness, past history, allergies</source>
        <translation>Historia ya ugonjwa wa sasa, historia ya awali, mzio</translation>
    </message>
    <message>
        <source>General and systemic examination findings</source>
        <translation>Matokeo ya uchunguzi wa jumla na wa mifumo</translation>
    </message>
    <message>
        <source>Management plan, advice, follow-up</source>
        <translation>Mpango wa matibabu, ushauri, ufuatiliaji</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Maelezo</translation>
    </message>
    <message>
        <source>&amp;Amend…</source>
        <translation>&amp;Rekebisha…</translation>
    </message>
    <message>
        <source>Amendments</source>
        <translation>Marekebisho</translation>
    </message>
    <message>
        <source>No amendments.</source>
        <translation>Hakuna marekebisho.</translation>
    </message>
    <message>
        <source>Diagnoses (WHO ICD-10)</source>
        <translation>Utambuzi (WHO ICD-10)</translation>
    </message>
    <message>
        <source>Prescriptions</source>
        <translation>Dawa zilizoandikwa</translation>
    </message>
    <message>
        <source>Add &amp;drug</source>
        <translation>Ongeza &amp;dawa</translation>
    </message>
    <message>
        <source>Drug</source>
        <translation>Dawa</translation>
    </message>
    <message>
        <source>Dose</source>
        <translation>Dozi</translation>
    </message>
    <message>
        <source>Frequency</source>
        <translation>Marudio</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Muda</translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation>Idadi</translation>
    </message>
    <message>
        <source>Lab requests</source>
        <translation>Maombi ya maabara</translation>
    </message>
    <message>
        <source>Add &amp;test</source>
        <translation>Ongeza &amp;kipimo</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Kipimo</translation>
    </message>
    <message>
        <source>Notes for the lab</source>
        <translation>Maelezo kwa maabara</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>Maagizo</translation>
    </message>
    <message>
        <source>&amp;Save draft (Ctrl+S)</source>
        <translation>&amp;Hifadhi rasimu (Ctrl+S)</translation>
    </message>
    <message>
        <source>Si&amp;gn…</source>
        <translation>&amp;Tia sahihi…</translation>
    </message>
    <message>
        <source>&lt;b&gt;Vitals %s:&lt;/b&gt; %s</source>
        <translation>&lt;b&gt;Vipimo muhimu %s:&lt;/b&gt; %s</translation>
    </message>
    <message>
        <source>&lt;i&gt;No vitals recorded at this visit.&lt;/i&gt;</source>
        <translation>&lt;i&gt;Hakuna vipimo muhimu vilivyorekodiwa katika ziara hii.&lt;/i&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Lab results&lt;/b&gt;&lt;br&gt;%s</source>
        <translation>&lt;b&gt;Matokeo ya maabara&lt;/b&gt;&lt;br&gt;%s</translation>
    </message>
    <message>
        <source>Signed %s</source>
        <translation>Imetiwa sahihi %s</translation>
    </message>
    <message>
        <source>%s — as signed; amended, see Amendments</source>
        <translation>%s — kama ilivyotiwa sahihi; imerekebishwa, tazama Marekebisho</translation>
    </message>
    <message>
        <source>This visit is closed (%s).</source>
        <translation>Ziara hii imefungwa (%s).</translation>
    </message>
    <message>
        <source>Draft saved at %s.</source>
        <translation>Rasimu imehifadhiwa saa %s.</translation>
    </message>
    <message>
        <source>Sign the consultation</source>
        <translation>Tia sahihi mashauriano</translation>
    </message>
    <message>
        <source>Signing makes the notes final; changes after this are amendments.</source>
        <translation>Kutia sahihi hufanya maelezo kuwa ya mwisho; mabadiliko baada ya hapo ni marekebisho.</translation>
    </message>
    <message>
        <source>&amp;Sign</source>
        <translation>&amp;Tia sahihi</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Ghairi</translation>
    </message>
    <message>
        <source>Signed. The notes are final.</source>
        <translation>Imetiwa sahihi. Maelezo ni ya mwisho.</translation>
    </message>
    <message>
        <source>Consultation signed for %s.</source>
        <translation>Mashauriano ya %s yametiwa sahihi.</translation>
    </message>
    <message>
        <source>The draft is saved but not signed: %s</source>
        <translation>Rasimu imehifadhiwa lakini haijatiwa sahihi: %s</translation>
    </message>
    <message>
        <source>see the messages above</source>
        <translation>tazama jumbe zilizo juu</translation>
    </message>
    <message>
        <source>Nothing was saved: correct the marked fields.</source>
        <translation>Hakuna kilichohifadhiwa: rekebisha sehemu zilizowekwa alama.</translation>
    </message>
    <message>
        <source>Could not save: %s</source>
        <translation>Imeshindwa kuhifadhi: %s</translation>
    </message>
    <message>
        <source>Amendment to %s saved.</source>
        <translation>Marekebisho ya %s yamehifadhiwa.</translation>
    </message>
</context>
<context>
    <name>DenominationCount</name>
    <message>
        <source>Count by notes and coins (optional)</source>
        <translation>Hesabu kwa noti na sarafu (si lazima)</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Noti</translation>
    </message>
    <message>
        <source>Coins</source>
        <translation>Sarafu</translation>
    </message>
    <message>
        <source>%s ×</source>
        <translation>%s ×</translation>
    </message>
    <message>
        <source>Notes and coins: %s</source>
        <translation>Noti na sarafu: %s</translation>
    </message>
</context>
<context>
    <name>DeviceRolesBox</name>
    <message>
        <source>This PC is for:</source>
        <translation>Kompyuta hii ni ya:</translation>
    </message>
    <message>
        <source>This PC is new: an admin logging in for the first time ticks the work it is for (left empty, it is for admins only). Anyone else leaves these empty, and the PC serves their own role.</source>
        <translation>Kompyuta hii ni mpya: msimamizi anayeingia kwa mara ya kwanza huweka alama kwenye kazi itakayofanyiwa (ikiachwa tupu, ni ya wasimamizi pekee). Mtu mwingine yeyote huziacha tupu, na kompyuta hutumikia jukumu lake mwenyewe.</translation>
    </message>
    <message>
        <source>Reception</source>
        <translation>Mapokezi</translation>
    </message>
    <message>
        <source>Triage</source>
        <translation>Uchunguzi wa awali</translation>
    </message>
    <message>
        <source>Consultation</source>
        <translation>Mashauriano</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>Keshia</translation>
    </message>
    <message>
        <source>Pharmacy</source>
        <translation>Famasia</translation>
    </message>
    <message>
        <source>Claims</source>
        <translation>Madai</translation>
    </message>
    <message>
        <source>Lab</source>
        <translation>Maabara</translation>
    </message>
    <message>
        <source>All (admin)</source>
        <translation>Zote (msimamizi)</translation>
    </message>
</context>
<context>
    <name>DevicesScreen</name>
    <message>
        <source>PCs</source>
        <translation>Kompyuta</translation>
    </message>
    <message>
        <source>Reload</source>
        <translation>Pakia upya</translation>
    </message>
    <message>
        <source>PC</source>
        <translation>Kompyuta</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>Tawi</translation>
    </message>
    <message>
        <source>Serves</source>
        <translation>Inahudumia</translation>
    </message>
    <message>
        <source>Last sync</source>
        <translation>Usawazishaji wa mwisho</translation>
    </message>
    <message>
        <source>App</source>
        <translation>Programu</translation>
    </message>
    <message>
        <source>Clock</source>
        <translation>Saa</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>Yanayosubiri</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Hali</translation>
    </message>
    <message>
        <source>Save the roles</source>
        <translation>Hifadhi majukumu</translation>
    </message>
    <message>
        <source>Revoke this PC…</source>
        <translation>Batilisha kompyuta hii…</translation>
    </message>
    <message>
        <source>Choose a PC</source>
        <translation>Chagua kompyuta</translation>
    </message>
    <message>
        <source>Staff log in only on PCs that serve their role (admins on any). A PC that may hold more after a change pulls it at its next sync. A revoked PC is refused at its next sync; its work not yet synced stays on it.</source>
        <translation>Wafanyakazi huingia tu kwenye kompyuta zinazohudumia jukumu lao (wasimamizi kwenye yoyote). Kompyuta inayoweza kushika zaidi baada ya badiliko huvuta data hiyo katika usawazishaji wake ujao. Kompyuta iliyobatilishwa hukataliwa katika usawazishaji wake ujao; kazi yake ambayo bado haijasawazishwa hubaki ndani yake.</translation>
    </message>
    <message>
        <source>Revoked %1</source>
        <translation>Imebatilishwa %1</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Inatumika</translation>
    </message>
    <message>
        <source>Every role</source>
        <translation>Kila jukumu</translation>
    </message>
    <message>
        <source>right</source>
        <translation>sahihi</translation>
    </message>
    <message>
        <source>%1 min fast</source>
        <translation>dakika %1 mbele</translation>
    </message>
    <message>
        <source>%1 min slow</source>
        <translation>dakika %1 nyuma</translation>
    </message>
    <message>
        <source>%1 serves:</source>
        <translation>%1 inahudumia:</translation>
    </message>
    <message>
        <source>Revoke this PC?</source>
        <translation>Batilisha kompyuta hii?</translation>
    </message>
    <message>
        <source>Revoke %1? Nobody can sync or log in online from it again; its work not yet synced stays on it.</source>
        <translation>Batilisha %1? Hakuna atakayeweza kusawazisha au kuingia mtandaoni kutoka kwayo tena; kazi yake ambayo bado haijasawazishwa hubaki ndani yake.</translation>
    </message>
</context>
<context>
    <name>DiagnosisPicker</name>
    <message>
        <source>Search ICD-10 by code or words: B54, malaria…</source>
        <translation>Tafuta ICD-10 kwa msimbo au maneno: B54, malaria…</translation>
    </message>
    <message>
        <source>Enter or double-click adds.</source>
        <translation>Enter au kubofya mara mbili huongeza.</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Ondoa</translation>
    </message>
    <message>
        <source>e.g. 1F40.Z</source>
        <translation>k.m. 1F40.Z</translation>
    </message>
    <message>
        <source>Add ICD-11</source>
        <translation>Ongeza ICD-11</translation>
    </message>
    <message>
        <source>Chosen (first is primary)</source>
        <translation>Uliochaguliwa (wa kwanza ndio mkuu)</translation>
    </message>
    <message>
        <source>ICD-11 code for SHA:</source>
        <translation>Msimbo wa ICD-11 kwa SHA:</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Inatafuta…</translation>
    </message>
    <message>
        <source>Search failed: %s</source>
        <translation>Utafutaji umeshindikana: %s</translation>
    </message>
    <message>
        <source>No ICD-10 diagnosis matches “%s”.</source>
        <translation>Hakuna utambuzi wa ICD-10 unaolingana na “%s”.</translation>
    </message>
    <message>
        <source>ICD-11 %s (for SHA)</source>
        <translation>ICD-11 %s (kwa SHA)</translation>
    </message>
    <message>
        <source>  · primary</source>
        <translation>  · mkuu</translation>
    </message>
    <message>
        <source>The first is the primary diagnosis.</source>
        <translation>Wa kwanza ndio utambuzi mkuu.</translation>
    </message>
</context>
<context>
    <name>DispensePanel</name>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Owed</source>
        <translation>Hazijatolewa</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>Tangu</translation>
    </message>
    <message>
        <source>Waiting at the pharmacy</source>
        <translation>Wanaosubiri famasia</translation>
    </message>
    <message>
        <source>Choose a patient on the left</source>
        <translation>Chagua mgonjwa upande wa kushoto</translation>
    </message>
    <message>
        <source>Drug prescribed</source>
        <translation>Dawa iliyoandikwa</translation>
    </message>
    <message>
        <source>Dose</source>
        <translation>Dozi</translation>
    </message>
    <message>
        <source>Frequency</source>
        <translation>Marudio</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Muda</translation>
    </message>
    <message>
        <source>Prescribed</source>
        <translation>Iliyoandikwa</translation>
    </message>
    <message>
        <source>Given</source>
        <translation>Iliyotolewa</translation>
    </message>
    <message>
        <source>Given on</source>
        <translation>Tarehe ya kutolewa</translation>
    </message>
    <message>
        <source>By</source>
        <translation>Aliyetoa</translation>
    </message>
    <message>
        <source>Drug given</source>
        <translation>Dawa iliyotolewa</translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation>Idadi</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Maelezo</translation>
    </message>
    <message>
        <source>Dispense the line</source>
        <translation>Toa dawa ya mstari huu</translation>
    </message>
    <message>
        <source>Quantity given</source>
        <translation>Idadi iliyotolewa</translation>
    </message>
    <message>
        <source>Only when another drug is given</source>
        <translation>Pale tu dawa nyingine inapotolewa</translation>
    </message>
    <message>
        <source>Why another drug</source>
        <translation>Kwa nini dawa nyingine</translation>
    </message>
    <message>
        <source>e.g. Take after meals; finish the course</source>
        <translation>k.m. Meza baada ya kula; maliza dozi yote</translation>
    </message>
    <message>
        <source>Counselling</source>
        <translation>Ushauri</translation>
    </message>
    <message>
        <source>Close the line: the rest is not owed</source>
        <translation>Funga mstari: kilichobaki hakitatolewa</translation>
    </message>
    <message>
        <source>e.g. Patient buys the rest elsewhere</source>
        <translation>k.m. Mgonjwa atanunua zilizobaki kwingine</translation>
    </message>
    <message>
        <source>Why it is closed</source>
        <translation>Kwa nini umefungwa</translation>
    </message>
    <message>
        <source>&amp;Dispense</source>
        <translation>&amp;Toa dawa</translation>
    </message>
    <message>
        <source>Print &amp;label…</source>
        <translation>Chapisha &amp;lebo…</translation>
    </message>
    <message>
        <source>On A4</source>
        <translation>Kwenye A4</translation>
    </message>
    <message numerus="yes">
        <source>%n line(s)</source>
        <translation>
            <numerusform>mstari %n</numerusform>
            <numerusform>mistari %n</numerusform>
        </translation>
    </message>
    <message>
        <source>closed</source>
        <translation>umefungwa</translation>
    </message>
    <message>
        <source>%1 given: %2 of %3</source>
        <translation>%1 imetolewa: %2 kati ya %3</translation>
    </message>
    <message numerus="yes">
        <source>%n still owed</source>
        <translation>
            <numerusform>%n bado haijatolewa</numerusform>
            <numerusform>%n bado hazijatolewa</numerusform>
        </translation>
    </message>
    <message>
        <source>Every line is done: the visit is completed</source>
        <translation>Kila mstari umekamilika: ziara imekamilika</translation>
    </message>
</context>
<context>
    <name>DrugForm</name>
    <message>
        <source>Drug</source>
        <translation>Dawa</translation>
    </message>
</context>
<context>
    <name>DuplicateReason</name>
    <message>
        <source>same national ID</source>
        <translation>kitambulisho sawa</translation>
    </message>
    <message>
        <source>same SHA number</source>
        <translation>nambari ya SHA sawa</translation>
    </message>
    <message>
        <source>same phone</source>
        <translation>simu sawa</translation>
    </message>
    <message>
        <source>same name and date of birth</source>
        <translation>jina na tarehe ya kuzaliwa sawa</translation>
    </message>
</context>
<context>
    <name>FirstStartDialog</name>
    <message>
        <source>Seth Clinic — first start</source>
        <translation>Seth Clinic — kuanza kwa mara ya kwanza</translation>
    </message>
    <message>
        <source>Connect to the clinic&apos;s server</source>
        <translation>Jiunge na seva ya kliniki</translation>
    </message>
    <message>
        <source>This PC is the clinic server (single-PC clinic)</source>
        <translation>Kompyuta hii ndiyo seva ya kliniki (kliniki ya kompyuta moja)</translation>
    </message>
    <message>
        <source>Try a demo clinic with made-up patients</source>
        <translation>Jaribu kliniki ya majaribio yenye wagonjwa wa kubuni</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>Endelea</translation>
    </message>
    <message>
        <source>Seth Clinic keeps working when the internet is down and syncs with the clinic&apos;s server when it is back. Where is the server?</source>
        <translation>Seth Clinic huendelea kufanya kazi intaneti ikikatika, na husawazisha na seva ya kliniki inaporudi. Seva iko wapi?</translation>
    </message>
    <message>
        <source>Type the server&apos;s address, e.g. http://192.168.1.10:8750</source>
        <translation>Andika anwani ya seva, k.m. http://192.168.1.10:8750</translation>
    </message>
</context>
<context>
    <name>Flag</name>
    <message>
        <source>Normal</source>
        <translation>Kawaida</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>Chini</translation>
    </message>
    <message>
        <source>High</source>
        <translation>Juu</translation>
    </message>
    <message>
        <source>Critical low</source>
        <translation>Hatari chini</translation>
    </message>
    <message>
        <source>Critical high</source>
        <translation>Hatari juu</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>Import paper register</source>
        <translation>Leta rejista ya karatasi</translation>
    </message>
    <message>
        <source>Choose CSV file…</source>
        <translation>Chagua faili ya CSV…</translation>
    </message>
    <message>
        <source>A register saved as CSV, with the columns NAME, AGE, RESIDENCE, NUMBER and PHONE NUMBER.</source>
        <translation>Rejista iliyohifadhiwa kama CSV, yenye safu NAME, AGE, RESIDENCE, NUMBER na PHONE NUMBER.</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>Hakiki</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Mstari</translation>
    </message>
    <message>
        <source>Problems found (nothing imported yet)</source>
        <translation>Matatizo yaliyopatikana (hakuna kilicholetwa bado)</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Sehemu</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Thamani</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Sababu</translation>
    </message>
    <message>
        <source>What happens</source>
        <translation>Kitakachofanyika</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>Leta</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Funga</translation>
    </message>
    <message>
        <source>Choose the paper register</source>
        <translation>Chagua rejista ya karatasi</translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>Faili za CSV (*.csv);;Faili zote (*)</translation>
    </message>
    <message>
        <source>Reading the register…</source>
        <translation>Inasoma rejista…</translation>
    </message>
    <message>
        <source>Checking the register… {done} of {total} rows</source>
        <translation>Inakagua rejista… mistari {done} kati ya {total}</translation>
    </message>
    <message>
        <source>Preview: the first {shown} of {total} rows</source>
        <translation>Hakiki: mistari {shown} ya kwanza kati ya {total}</translation>
    </message>
    <message>
        <source>Rows: {read}  ·  would be imported: {imported}  ·  already imported (skipped): {skipped}  ·  would be rejected: {rejected}  ·  values to flag for review: {flagged}</source>
        <translation>Mistari: {read}  ·  ingeletwa: {imported}  ·  tayari imeletwa (imerukwa): {skipped}  ·  ingekataliwa: {rejected}  ·  thamani za kukaguliwa: {flagged}</translation>
    </message>
    <message>
        <source>Nothing is imported until you press Import.</source>
        <translation>Hakuna kinacholetwa hadi ubonyeze Leta.</translation>
    </message>
    <message>
        <source>No problems found. Nothing is imported until you press Import.</source>
        <translation>Hakuna matatizo yaliyopatikana. Hakuna kinacholetwa hadi ubonyeze Leta.</translation>
    </message>
    <message>
        <source>The register has no rows to import.</source>
        <translation>Rejista haina mistari ya kuleta.</translation>
    </message>
    <message>
        <source>Problems found</source>
        <translation>Matatizo yaliyopatikana</translation>
    </message>
    <message>
        <source>Importing… {done} of {total} rows; the rest of the app keeps working.</source>
        <translation>Inaleta… mistari {done} kati ya {total}; sehemu nyingine za programu zinaendelea kufanya kazi.</translation>
    </message>
    <message>
        <source>Import report</source>
        <translation>Ripoti ya kuleta</translation>
    </message>
    <message>
        <source>Rows read: {read}  ·  imported: {imported}  ·  already imported (skipped): {skipped}  ·  rejected: {rejected}  ·  values flagged for review: {flagged}</source>
        <translation>Mistari iliyosomwa: {read}  ·  imeletwa: {imported}  ·  tayari imeletwa (imerukwa): {skipped}  ·  imekataliwa: {rejected}  ·  thamani za kukaguliwa: {flagged}</translation>
    </message>
    <message>
        <source>Imported {n} patients.</source>
        <translation>Wagonjwa {n} wameletwa.</translation>
    </message>
    <message>
        <source>Imported 1 patient.</source>
        <translation>Mgonjwa 1 ameletwa.</translation>
    </message>
    <message>
        <source>The import stopped at the rows from line {line}: {reason}. The {n} patients imported before them are kept: import the same file again to import the rest.</source>
        <translation>Uletaji ulisimama kwenye mistari kuanzia mstari {line}: {reason}. Wagonjwa {n} walioletwa kabla yake wamehifadhiwa: leta faili hiyo hiyo tena ili kuleta waliobaki.</translation>
    </message>
    <message>
        <source>The import failed and nothing was imported: {reason}</source>
        <translation>Kuleta kumeshindikana na hakuna kilicholetwa: {reason}</translation>
    </message>
</context>
<context>
    <name>ImportField</name>
    <message>
        <source>name</source>
        <translation>jina</translation>
    </message>
    <message>
        <source>age</source>
        <translation>umri</translation>
    </message>
    <message>
        <source>phone</source>
        <translation>simu</translation>
    </message>
    <message>
        <source>number</source>
        <translation>nambari</translation>
    </message>
</context>
<context>
    <name>LabResult</name>
    <message>
        <source>number</source>
        <translation>nambari</translation>
    </message>
    <message>
        <source>choose</source>
        <translation>chagua</translation>
    </message>
    <message>
        <source>text</source>
        <translation>maandishi</translation>
    </message>
</context>
<context>
    <name>LabResults</name>
    <message>
        <source>Critical</source>
        <translation>Hatari</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>imeghairiwa</translation>
    </message>
    <message>
        <source>waiting for the lab</source>
        <translation>inasubiri maabara</translation>
    </message>
</context>
<context>
    <name>LabScreen</name>
    <message>
        <source>Lab worklist</source>
        <translation>Orodha ya kazi ya maabara</translation>
    </message>
    <message>
        <source>Show tests with results</source>
        <translation>Onyesha vipimo vyenye matokeo</translation>
    </message>
    <message>
        <source>&amp;Save results (Ctrl+S)</source>
        <translation>&amp;Hifadhi matokeo (Ctrl+S)</translation>
    </message>
    <message>
        <source>Choose a test in the worklist to enter its results.</source>
        <translation>Chagua kipimo kwenye orodha ya kazi ili uweke matokeo yake.</translation>
    </message>
    <message>
        <source>Worklist</source>
        <translation>Orodha ya kazi</translation>
    </message>
    <message>
        <source>Test catalogue</source>
        <translation>Katalogi ya vipimo</translation>
    </message>
    <message>
        <source>Lab</source>
        <translation>Maabara</translation>
    </message>
    <message numerus="yes">
        <source>%n test(s) waiting</source>
        <translation>
            <numerusform>Kipimo %n kinasubiri</numerusform>
            <numerusform>Vipimo %n vinasubiri</numerusform>
        </translation>
    </message>
    <message>
        <source>  ·  age not recorded</source>
        <translation>  ·  umri haujarekodiwa</translation>
    </message>
    <message>
        <source>Entered by %s at %s</source>
        <translation>Imewekwa na %s, %s</translation>
    </message>
    <message>
        <source>Critical result: %s. Tell the clinician now; the queue marks the visit.</source>
        <translation>Matokeo hatari: %s. Mjulishe tabibu sasa; foleni inaiwekea ziara alama.</translation>
    </message>
    <message>
        <source>Results saved.</source>
        <translation>Matokeo yamehifadhiwa.</translation>
    </message>
    <message>
        <source> The visit went back to the clinician.</source>
        <translation> Ziara imerudishwa kwa tabibu.</translation>
    </message>
    <message>
        <source>Check the results marked in red.</source>
        <translation>Kagua matokeo yaliyowekwa alama nyekundu.</translation>
    </message>
</context>
<context>
    <name>LinesModel</name>
    <message>
        <source>Service</source>
        <translation>Huduma</translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation>Idadi</translation>
    </message>
    <message>
        <source>Unit price</source>
        <translation>Bei ya kimoja</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Kiasi</translation>
    </message>
    <message>
        <source>  — not on the price list</source>
        <translation>  — haipo kwenye orodha ya bei</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>No clinic server is set up</source>
        <translation>Hakuna seva ya kliniki iliyowekwa</translation>
    </message>
    <message>
        <source>Wrong server address, or Wi-Fi sign-in (HTTP %1)</source>
        <translation>Anwani ya seva si sahihi, au Wi-Fi inahitaji kuingia (HTTP %1)</translation>
    </message>
    <message>
        <source>The clinic server cannot be reached</source>
        <translation>Seva ya kliniki haifikiki</translation>
    </message>
    <message>
        <source>%1, so the login was checked on this PC: %2</source>
        <translation>%1, kwa hiyo kuingia kulikaguliwa kwenye kompyuta hii: %2</translation>
    </message>
    <message>
        <source>Seth Clinic — log in</source>
        <translation>Seth Clinic — ingia</translation>
    </message>
    <message>
        <source>none</source>
        <translation>hakuna</translation>
    </message>
    <message>
        <source>This PC has no secure keyring to keep your login (on Linux, a Secret Service such as gnome-keyring). Seth Clinic keeps it in memory until you close the app and will ask for your password at each start; it never writes it to a file. While the server cannot be reached at a start, you work offline and sync after your next login online.</source>
        <translation>Kompyuta hii haina hifadhi salama ya funguo (keyring) ya kutunza kuingia kwako (kwenye Linux, Secret Service kama gnome-keyring). Seth Clinic huitunza kwenye kumbukumbu hadi utakapofunga programu, na itakuuliza nenosiri lako kila inapoanza; haiandiki kamwe kwenye faili. Seva isipofikiwa wakati wa kuanza, unafanya kazi nje ya mtandao na kusawazisha baada ya kuingia tena ukiwa mtandaoni.</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>Jina la mtumiaji</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Nenosiri</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Seva</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Ingia</translation>
    </message>
    <message>
        <source>Seth Clinic</source>
        <translation>Seth Clinic</translation>
    </message>
    <message>
        <source>Type your username and password</source>
        <translation>Andika jina la mtumiaji na nenosiri lako</translation>
    </message>
    <message>
        <source>Logging in…</source>
        <translation>Inaingia…</translation>
    </message>
    <message>
        <source>%s. Untick the boxes under “This PC is for” and log in again.</source>
        <translation>%s. Ondoa alama kwenye visanduku vilivyo chini ya “Kompyuta hii ni ya” kisha uingie tena.</translation>
    </message>
    <message>
        <source>Login failed: %s</source>
        <translation>Kuingia kumeshindikana: %s</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Seth Clinic — %s (%s)</source>
        <translation>Seth Clinic — %s (%s)</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>Sawazisha sasa</translation>
    </message>
    <message>
        <source>Language (Lugha): used from the next start</source>
        <translation>Lugha (Language): inatumika kuanzia utakapofungua programu tena</translation>
    </message>
    <message>
        <source>● Online</source>
        <translation>● Mtandaoni</translation>
    </message>
    <message>
        <source>○ Offline</source>
        <translation>○ Nje ya mtandao</translation>
    </message>
    <message>
        <source>The new language is used when Seth Clinic starts again.</source>
        <translation>Lugha mpya itatumika Seth Clinic itakapofunguliwa tena.</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Inasawazisha…</translation>
    </message>
    <message numerus="yes">
        <source>%n pending</source>
        <translation>
            <numerusform>%n inasubiri</numerusform>
            <numerusform>%n zinasubiri</numerusform>
        </translation>
    </message>
    <message>
        <source>Last sync: %s</source>
        <translation>Usawazishaji wa mwisho: %s</translation>
    </message>
    <message numerus="yes">
        <source>%n conflicts</source>
        <translation>
            <numerusform>Mgongano %n</numerusform>
            <numerusform>Migongano %n</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n rejected</source>
        <translation>
            <numerusform>%n imekataliwa</numerusform>
            <numerusform>%n zimekataliwa</numerusform>
        </translation>
    </message>
    <message>
        <source>PC clock is %d min off</source>
        <translation>Saa ya kompyuta imekosea kwa dakika %d</translation>
    </message>
</context>
<context>
    <name>MergeScreen</name>
    <message>
        <source>Merge duplicate patients</source>
        <translation>Unganisha wagonjwa waliorudiwa</translation>
    </message>
    <message>
        <source>The duplicate&apos;s visits and bills follow the kept record, and its numbers find it. Tick the duplicate&apos;s values the kept record should take.</source>
        <translation>Ziara na bili za rekodi iliyorudiwa zinafuata rekodi inayobaki, na nambari zake zinaipata. Weka alama kwenye thamani za rekodi iliyorudiwa ambazo rekodi inayobaki inapaswa kuchukua.</translation>
    </message>
    <message>
        <source>Keep this record</source>
        <translation>Baki na rekodi hii</translation>
    </message>
    <message>
        <source>Merge this duplicate into it</source>
        <translation>Unganisha rekodi hii iliyorudiwa ndani yake</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>Taarifa</translation>
    </message>
    <message>
        <source>Kept record</source>
        <translation>Rekodi inayobaki</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>Iliyorudiwa</translation>
    </message>
    <message>
        <source>Take</source>
        <translation>Chukua</translation>
    </message>
    <message>
        <source>Merge…</source>
        <translation>Unganisha…</translation>
    </message>
    <message>
        <source>Merged into</source>
        <translation>Imeunganishwa na</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Lini</translation>
    </message>
    <message>
        <source>Undo merge…</source>
        <translation>Tendua muungano…</translation>
    </message>
    <message>
        <source>Merged records</source>
        <translation>Rekodi zilizounganishwa</translation>
    </message>
    <message>
        <source>Merge patients</source>
        <translation>Unganisha wagonjwa</translation>
    </message>
    <message>
        <source>Pick two different records.</source>
        <translation>Chagua rekodi mbili tofauti.</translation>
    </message>
    <message>
        <source>First name</source>
        <translation>Jina la kwanza</translation>
    </message>
    <message>
        <source>Middle name</source>
        <translation>Jina la kati</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Jina la ukoo</translation>
    </message>
    <message>
        <source>Sex</source>
        <translation>Jinsia</translation>
    </message>
    <message>
        <source>Date of birth</source>
        <translation>Tarehe ya kuzaliwa</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Simu</translation>
    </message>
    <message>
        <source>Residence</source>
        <translation>Makazi</translation>
    </message>
    <message>
        <source>National ID</source>
        <translation>Kitambulisho cha taifa</translation>
    </message>
    <message>
        <source>SHA number</source>
        <translation>Nambari ya SHA</translation>
    </message>
    <message>
        <source>Principal&apos;s SHA no.</source>
        <translation>Nambari ya SHA ya mwanachama mkuu</translation>
    </message>
    <message>
        <source>Legacy number</source>
        <translation>Nambari ya zamani</translation>
    </message>
    <message>
        <source>Next of kin</source>
        <translation>Ndugu wa karibu</translation>
    </message>
    <message>
        <source>Next of kin&apos;s phone</source>
        <translation>Simu ya ndugu wa karibu</translation>
    </message>
    <message>
        <source>Relationship</source>
        <translation>Uhusiano</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>{dup} will be merged into {kept}.</source>
        <translation>{dup} itaunganishwa na {kept}.</translation>
    </message>
    <message>
        <source>Merge {dup} ({dup_name}) into {kept} ({kept_name})? The duplicate&apos;s visits and bills will show on {kept}.</source>
        <translation>Unganisha {dup} ({dup_name}) na {kept} ({kept_name})? Ziara na bili za rekodi iliyorudiwa zitaonekana kwenye {kept}.</translation>
    </message>
    <message>
        <source>{dup} was merged into {kept}.</source>
        <translation>{dup} imeunganishwa na {kept}.</translation>
    </message>
    <message>
        <source>Undo merge</source>
        <translation>Tendua muungano</translation>
    </message>
    <message>
        <source>Make {dup} a patient of their own again? Their visits and bills go back to them. Values {kept} took in the merge stay on {kept}.</source>
        <translation>Mfanye {dup} kuwa mgonjwa anayejitegemea tena? Ziara na bili zake zinamrudia. Thamani ambazo {kept} ilichukua katika muungano zinabaki kwenye {kept}.</translation>
    </message>
    <message>
        <source>{dup} is a patient of their own again.</source>
        <translation>{dup} ni mgonjwa anayejitegemea tena.</translation>
    </message>
</context>
<context>
    <name>MethodsModel</name>
    <message>
        <source>Method</source>
        <translation>Njia</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>Kilichopokelewa</translation>
    </message>
    <message>
        <source>Reversed</source>
        <translation>Kilichobatilishwa</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>Kinachotarajiwa</translation>
    </message>
    <message>
        <source>Counted</source>
        <translation>Kilichohesabiwa</translation>
    </message>
    <message>
        <source>Variance</source>
        <translation>Tofauti</translation>
    </message>
</context>
<context>
    <name>MoneyField</name>
    <message>
        <source>Type the amount in shillings, like 2,000</source>
        <translation>Andika kiasi kwa shilingi, kama 2,000</translation>
    </message>
    <message>
        <source>The amount cannot be negative</source>
        <translation>Kiasi hakiwezi kuwa hasi</translation>
    </message>
</context>
<context>
    <name>MpesaPanel</name>
    <message>
        <source>&amp;Import till statement (CSV)…</source>
        <translation>&amp;Leta taarifa ya till (CSV)…</translation>
    </message>
    <message>
        <source>&amp;Match again</source>
        <translation>Linganisha &amp;tena</translation>
    </message>
    <message>
        <source>Payments from</source>
        <translation>Malipo kuanzia</translation>
    </message>
    <message>
        <source>to</source>
        <translation>hadi</translation>
    </message>
    <message>
        <source>Export the till&apos;s statement from M-Pesa for Business as CSV and import it here: each line is matched with the M-Pesa payments taken at this branch.</source>
        <translation>Hamisha taarifa ya till kutoka M-Pesa for Business kama CSV na uilete hapa: kila mstari unalinganishwa na malipo ya M-Pesa yaliyopokelewa katika tawi hili.</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Kiasi</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Msimbo</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Ilikamilika</translation>
    </message>
    <message>
        <source>Receipts</source>
        <translation>Risiti</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Maelezo</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Mstari</translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation>Risiti</translation>
    </message>
    <message>
        <source>On statement</source>
        <translation>Kwenye taarifa</translation>
    </message>
    <message>
        <source>Recorded</source>
        <translation>Iliyorekodiwa</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>Tofauti</translation>
    </message>
    <message>
        <source>&amp;Copy this list</source>
        <translation>&amp;Nakili orodha hii</translation>
    </message>
    <message>
        <source>Copy the list shown, to paste into a follow-up sheet</source>
        <translation>Nakili orodha inayoonyeshwa, ili uibandike kwenye karatasi ya ufuatiliaji</translation>
    </message>
    <message>
        <source>Matched (%d)</source>
        <translation>Zimelingana (%d)</translation>
    </message>
    <message>
        <source>Only on the statement (%d)</source>
        <translation>Kwenye taarifa tu (%d)</translation>
    </message>
    <message>
        <source>Payments not on the statement (%d)</source>
        <translation>Malipo yasiyo kwenye taarifa (%d)</translation>
    </message>
    <message>
        <source>Amounts differ (%d)</source>
        <translation>Kiasi kinatofautiana (%d)</translation>
    </message>
    <message>
        <source>Import the M-Pesa till statement</source>
        <translation>Leta taarifa ya till ya M-Pesa</translation>
    </message>
    <message>
        <source>CSV files (*.csv *.txt);;All files (*)</source>
        <translation>Faili za CSV (*.csv *.txt);;Faili zote (*)</translation>
    </message>
    <message>
        <source>This PC has no branch yet: log in online once.</source>
        <translation>Kompyuta hii bado haina tawi: ingia ukiwa mtandaoni mara moja.</translation>
    </message>
    <message>
        <source>Reading %s…</source>
        <translation>Inasoma %s…</translation>
    </message>
    <message>
        <source>The last day is before the first.</source>
        <translation>Siku ya mwisho iko kabla ya ya kwanza.</translation>
    </message>
    <message>
        <source>Could not reconcile the statement: %s</source>
        <translation>Imeshindwa kulinganisha taarifa: %s</translation>
    </message>
    <message>
        <source>%s: %d statement lines against %d M-Pesa payments of %s. Matched %d; only on the statement %d; payments not on the statement %d; amounts differ %d; not money in (withdrawals, charges, failed) %d.</source>
        <translation>%s: mistari %d ya taarifa dhidi ya malipo %d ya M-Pesa ya %s. Zimelingana %d; kwenye taarifa tu %d; malipo yasiyo kwenye taarifa %d; kiasi kinatofautiana %d; si pesa zilizoingia (utoaji, ada, zilizoshindwa) %d.</translation>
    </message>
    <message>
        <source>Line %d: %s</source>
        <translation>Mstari %d: %s</translation>
    </message>
    <message>
        <source>… and %d more</source>
        <translation>… na %d zaidi</translation>
    </message>
    <message>
        <source>%d lines of the statement could not be read:</source>
        <translation>Mistari %d ya taarifa haikuweza kusomwa:</translation>
    </message>
    <message>
        <source>Copied %d rows.</source>
        <translation>Safu %d zimenakiliwa.</translation>
    </message>
</context>
<context>
    <name>MpesaStatement</name>
    <message>
        <source>%1 is larger than 20 MB; export one month of the till at a time</source>
        <translation>%1 ni kubwa kuliko MB 20; hamisha mwezi mmoja wa till kwa wakati mmoja</translation>
    </message>
    <message>
        <source>Could not open %1: %2</source>
        <translation>Imeshindwa kufungua %1: %2</translation>
    </message>
    <message>
        <source>%1 is not a text file; export the till statement as CSV</source>
        <translation>%1 si faili ya maandishi; hamisha taarifa ya till kama CSV</translation>
    </message>
</context>
<context>
    <name>Note</name>
    <message>
        <source>Complaint</source>
        <translation>Malalamiko</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historia</translation>
    </message>
    <message>
        <source>Examination</source>
        <translation>Uchunguzi wa mwili</translation>
    </message>
    <message>
        <source>Plan</source>
        <translation>Mpango</translation>
    </message>
</context>
<context>
    <name>OrdersTable</name>
    <message>
        <source>Remove</source>
        <translation>Ondoa</translation>
    </message>
    <message>
        <source>Row %d: %s</source>
        <translation>Safu %d: %s</translation>
    </message>
</context>
<context>
    <name>PasswordChangeDialog</name>
    <message>
        <source>Choose your password</source>
        <translation>Chagua nenosiri lako</translation>
    </message>
    <message>
        <source>Current password</source>
        <translation>Nenosiri la sasa</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>Nenosiri jipya</translation>
    </message>
    <message>
        <source>New password again</source>
        <translation>Nenosiri jipya tena</translation>
    </message>
    <message>
        <source>Your password was set by an admin; choose your own (10 characters or more).</source>
        <translation>Nenosiri lako liliwekwa na msimamizi; chagua lako mwenyewe (herufi 10 au zaidi).</translation>
    </message>
    <message>
        <source>The two new passwords differ</source>
        <translation>Manenosiri mawili mapya yanatofautiana</translation>
    </message>
</context>
<context>
    <name>PatientDialog</name>
    <message>
        <source>Register a new patient</source>
        <translation>Sajili mgonjwa mpya</translation>
    </message>
    <message>
        <source>Edit patient {op}</source>
        <translation>Hariri mgonjwa {op}</translation>
    </message>
    <message>
        <source>not known</source>
        <translation>haijulikani</translation>
    </message>
    <message>
        <source>Not known</source>
        <translation>Haijulikani</translation>
    </message>
    <message>
        <source>e.g. 33yrs, 9mths, 2wks, 3days</source>
        <translation>k.m. 33yrs, 9mths, 2wks, 3days</translation>
    </message>
    <message>
        <source>07xx xxx xxx</source>
        <translation>07xx xxx xxx</translation>
    </message>
    <message>
        <source>village, estate or town</source>
        <translation>kijiji, mtaa au mji</translation>
    </message>
    <message>
        <source>for a dependant: the member&apos;s SHA number</source>
        <translation>kwa mtegemezi: nambari ya SHA ya mwanachama</translation>
    </message>
    <message>
        <source>old OP or register number</source>
        <translation>nambari ya zamani ya OP au ya rejista</translation>
    </message>
    <message>
        <source>e.g. mother, husband</source>
        <translation>k.m. mama, mume</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>First name *</source>
        <translation>Jina la kwanza *</translation>
    </message>
    <message>
        <source>Middle name</source>
        <translation>Jina la kati</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Jina la ukoo</translation>
    </message>
    <message>
        <source>Sex</source>
        <translation>Jinsia</translation>
    </message>
    <message>
        <source>Date of birth</source>
        <translation>Tarehe ya kuzaliwa</translation>
    </message>
    <message>
        <source>Age as written</source>
        <translation>Umri kama ulivyoandikwa</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Simu</translation>
    </message>
    <message>
        <source>Residence</source>
        <translation>Makazi</translation>
    </message>
    <message>
        <source>Numbers and next of kin</source>
        <translation>Nambari na ndugu wa karibu</translation>
    </message>
    <message>
        <source>National ID</source>
        <translation>Kitambulisho cha taifa</translation>
    </message>
    <message>
        <source>SHA number</source>
        <translation>Nambari ya SHA</translation>
    </message>
    <message>
        <source>Principal&apos;s SHA no.</source>
        <translation>Nambari ya SHA ya mwanachama mkuu</translation>
    </message>
    <message>
        <source>Legacy number</source>
        <translation>Nambari ya zamani</translation>
    </message>
    <message>
        <source>Next of kin</source>
        <translation>Ndugu wa karibu</translation>
    </message>
    <message>
        <source>Next of kin&apos;s phone</source>
        <translation>Simu ya ndugu wa karibu</translation>
    </message>
    <message>
        <source>Relationship</source>
        <translation>Uhusiano</translation>
    </message>
    <message>
        <source>Already registered? These patients share some details</source>
        <translation>Tayari amesajiliwa? Wagonjwa hawa wana baadhi ya taarifa zinazofanana</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Jina</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Kwa nini</translation>
    </message>
    <message>
        <source>Open this patient instead</source>
        <translation>Fungua mgonjwa huyu badala yake</translation>
    </message>
    <message>
        <source>Register anyway</source>
        <translation>Sajili hata hivyo</translation>
    </message>
    <message>
        <source>Register</source>
        <translation>Sajili</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Hifadhi</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Ghairi</translation>
    </message>
    <message>
        <source>Estimated from an age as written; change it to the real date if known</source>
        <translation>Imekadiriwa kutoka umri ulioandikwa; ibadilishe kuwa tarehe halisi ikijulikana</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Inakagua…</translation>
    </message>
    <message>
        <source>Registering…</source>
        <translation>Inasajili…</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Inahifadhi…</translation>
    </message>
    <message>
        <source>Not saved: {reason}</source>
        <translation>Haijahifadhiwa: {reason}</translation>
    </message>
    <message>
        <source>Nothing was saved: correct the fields marked below.</source>
        <translation>Hakuna kilichohifadhiwa: sahihisha sehemu zilizowekwa alama hapa chini.</translation>
    </message>
    <message>
        <source>Nothing is registered yet. Open the patient who is already registered, or register a new patient anyway.</source>
        <translation>Hakuna kilichosajiliwa bado. Fungua mgonjwa ambaye tayari amesajiliwa, au sajili mgonjwa mpya hata hivyo.</translation>
    </message>
</context>
<context>
    <name>PatientPage</name>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Legacy number</source>
        <translation>Nambari ya zamani</translation>
    </message>
    <message>
        <source>Sex</source>
        <translation>Jinsia</translation>
    </message>
    <message>
        <source>Date of birth</source>
        <translation>Tarehe ya kuzaliwa</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>Umri</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Simu</translation>
    </message>
    <message>
        <source>Residence</source>
        <translation>Makazi</translation>
    </message>
    <message>
        <source>National ID</source>
        <translation>Kitambulisho</translation>
    </message>
    <message>
        <source>SHA number</source>
        <translation>Nambari ya SHA</translation>
    </message>
    <message>
        <source>Principal&apos;s SHA number</source>
        <translation>Nambari ya SHA ya mwanachama mkuu</translation>
    </message>
    <message>
        <source>Next of kin</source>
        <translation>Ndugu wa karibu</translation>
    </message>
    <message>
        <source>Relationship</source>
        <translation>Uhusiano</translation>
    </message>
    <message>
        <source>Next of kin&apos;s phone</source>
        <translation>Simu ya ndugu wa karibu</translation>
    </message>
    <message>
        <source>Registered</source>
        <translation>Alisajiliwa</translation>
    </message>
    <message>
        <source>← Back to search</source>
        <translation>← Rudi kwenye utafutaji</translation>
    </message>
    <message>
        <source>Esc</source>
        <translation>Esc</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Inapakia…</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Hariri</translation>
    </message>
    <message>
        <source>Open visit today</source>
        <translation>Fungua ziara leo</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Taarifa</translation>
    </message>
    <message>
        <source>Open balance</source>
        <translation>Salio linalodaiwa</translation>
    </message>
    <message>
        <source>Visit history</source>
        <translation>Historia ya ziara</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Tarehe</translation>
    </message>
    <message>
        <source>New / revisit</source>
        <translation>Mpya / marudio</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Hali</translation>
    </message>
    <message>
        <source>Diagnoses</source>
        <translation>Utambuzi</translation>
    </message>
    <message>
        <source>SHA claim</source>
        <translation>Dai la SHA</translation>
    </message>
    <message>
        <source>No visits yet.</source>
        <translation>Bado hakuna ziara.</translation>
    </message>
    <message>
        <source>Print SHA invoice</source>
        <translation>Chapisha ankara ya SHA</translation>
    </message>
    <message>
        <source>The SHA invoice of the selected visit&apos;s claim, for the patient to sign</source>
        <translation>Ankara ya SHA ya dai la ziara iliyochaguliwa, ili mgonjwa aitie sahihi</translation>
    </message>
    <message>
        <source> (estimated)</source>
        <translation> (imekadiriwa)</translation>
    </message>
    <message>
        <source>{value} — needs checking</source>
        <translation>{value} — inahitaji kukaguliwa</translation>
    </message>
    <message>
        <source>not given</source>
        <translation>haijatolewa</translation>
    </message>
    <message>
        <source>This value was missing or wrong in the paper register; check it</source>
        <translation>Thamani hii ilikosekana au ilikosewa kwenye rejista ya karatasi; ikague</translation>
    </message>
    <message>
        <source>This patient was merged into another patient record.</source>
        <translation>Mgonjwa huyu ameunganishwa na rekodi nyingine ya mgonjwa.</translation>
    </message>
    <message>
        <source>Owed on unpaid invoices</source>
        <translation>Deni la ankara zisizolipwa</translation>
    </message>
    <message>
        <source>Paid more than billed (credit)</source>
        <translation>Amelipa zaidi ya bili (ana salio la ziada)</translation>
    </message>
    <message>
        <source>Nothing owed</source>
        <translation>Hakuna deni</translation>
    </message>
    <message>
        <source>New</source>
        <translation>Mpya</translation>
    </message>
    <message>
        <source>Revisit</source>
        <translation>Marudio</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Ndiyo</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Imehifadhiwa.</translation>
    </message>
    <message>
        <source>Also check: {others}</source>
        <translation>Kagua pia: {others}</translation>
    </message>
    <message>
        <source>Visit opened: number {n} in today&apos;s queue.</source>
        <translation>Ziara imefunguliwa: nambari {n} kwenye foleni ya leo.</translation>
    </message>
    <message>
        <source>The visit was not opened: {reason}</source>
        <translation>Ziara haikufunguliwa: {reason}</translation>
    </message>
</context>
<context>
    <name>PatientPicker</name>
    <message>
        <source>Name, OP number, phone or ID</source>
        <translation>Jina, nambari ya OP, simu au kitambulisho</translation>
    </message>
</context>
<context>
    <name>PatientTableModel</name>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Jina</translation>
    </message>
    <message>
        <source>Sex</source>
        <translation>Jinsia</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>Umri</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Simu</translation>
    </message>
    <message>
        <source>Residence</source>
        <translation>Makazi</translation>
    </message>
    <message>
        <source>National ID</source>
        <translation>Kitambulisho cha taifa</translation>
    </message>
    <message>
        <source>SHA number</source>
        <translation>Nambari ya SHA</translation>
    </message>
    <message>
        <source>Estimated from an age as written; the date of birth is not known</source>
        <translation>Imekadiriwa kutoka umri ulioandikwa; tarehe ya kuzaliwa haijulikani</translation>
    </message>
    <message>
        <source>Legacy number</source>
        <translation>Nambari ya zamani</translation>
    </message>
</context>
<context>
    <name>PatientsScreen</name>
    <message>
        <source>Patients</source>
        <translation>Wagonjwa</translation>
    </message>
    <message>
        <source>Name, OP number, phone, ID or SHA number</source>
        <translation>Jina, nambari ya OP, simu, kitambulisho au nambari ya SHA</translation>
    </message>
    <message>
        <source>Ctrl+F</source>
        <translation>Ctrl+F</translation>
    </message>
    <message>
        <source>New patient</source>
        <translation>Mgonjwa mpya</translation>
    </message>
    <message>
        <source>Ctrl+N</source>
        <translation>Ctrl+N</translation>
    </message>
    <message>
        <source>Import paper register…</source>
        <translation>Leta rejista ya karatasi…</translation>
    </message>
    <message>
        <source>All patients, in order of registration. Type at least 2 characters.</source>
        <translation>Wagonjwa wote, kwa mpangilio wa usajili. Andika angalau herufi 2.</translation>
    </message>
    <message>
        <source>Type at least 2 characters</source>
        <translation>Andika angalau herufi 2</translation>
    </message>
    <message>
        <source>The first {n} patients found: type more to narrow</source>
        <translation>Wagonjwa {n} wa kwanza waliopatikana: andika zaidi ili kupunguza</translation>
    </message>
    <message>
        <source>1 patient found</source>
        <translation>Mgonjwa 1 amepatikana</translation>
    </message>
    <message>
        <source>{n} patients found</source>
        <translation>Wagonjwa {n} wamepatikana</translation>
    </message>
    <message>
        <source>0 patients found. Ctrl+N registers a new patient.</source>
        <translation>Wagonjwa 0 wamepatikana. Ctrl+N inasajili mgonjwa mpya.</translation>
    </message>
    <message>
        <source>Search failed: {reason}</source>
        <translation>Utafutaji umeshindikana: {reason}</translation>
    </message>
    <message>
        <source>Could not load patients: {reason}</source>
        <translation>Imeshindwa kupakia wagonjwa: {reason}</translation>
    </message>
    <message>
        <source>Registered {name} with OP number {op}.</source>
        <translation>{name} amesajiliwa kwa nambari ya OP {op}.</translation>
    </message>
    <message>
        <source>Registered {name}: {op}</source>
        <translation>{name} amesajiliwa: {op}</translation>
    </message>
</context>
<context>
    <name>PaymentMethod</name>
    <message>
        <source>Cash</source>
        <translation>Pesa taslimu</translation>
    </message>
    <message>
        <source>M-Pesa</source>
        <translation>M-Pesa</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>Kadi</translation>
    </message>
    <message>
        <source>Bank</source>
        <translation>Benki</translation>
    </message>
    <message>
        <source>SHA</source>
        <translation>SHA</translation>
    </message>
    <message>
        <source>Insurance</source>
        <translation>Bima</translation>
    </message>
</context>
<context>
    <name>PaymentPanel</name>
    <message>
        <source>Take payment</source>
        <translation>Pokea malipo</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Kiasi</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Kumbukumbu</translation>
    </message>
    <message>
        <source>Tendered</source>
        <translation>Kilichotolewa</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Chenji</translation>
    </message>
    <message>
        <source>Take payment  (Enter)</source>
        <translation>Pokea malipo  (Enter)</translation>
    </message>
    <message>
        <source>M-Pesa code</source>
        <translation>Msimbo wa M-Pesa</translation>
    </message>
    <message>
        <source>Card ref.</source>
        <translation>Kumb. ya kadi</translation>
    </message>
    <message>
        <source>approval code (optional)</source>
        <translation>msimbo wa idhini (si lazima)</translation>
    </message>
    <message>
        <source>Bank ref.</source>
        <translation>Kumb. ya benki</translation>
    </message>
    <message>
        <source>slip number (optional)</source>
        <translation>nambari ya stakabadhi (si lazima)</translation>
    </message>
    <message>
        <source>SHA ref.</source>
        <translation>Kumb. ya SHA</translation>
    </message>
    <message>
        <source>pre-authorisation (optional)</source>
        <translation>idhini ya awali (si lazima)</translation>
    </message>
    <message>
        <source>Scheme/member</source>
        <translation>Mpango/mwanachama</translation>
    </message>
</context>
<context>
    <name>PaymentsModel</name>
    <message>
        <source>Receipt</source>
        <translation>Risiti</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Saa</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>Njia</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Kumbukumbu</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Kiasi</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>Keshia</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Maelezo</translation>
    </message>
    <message>
        <source>Reversal: %s</source>
        <translation>Ubatilishaji: %s</translation>
    </message>
    <message>
        <source>Reversed by %s</source>
        <translation>Imebatilishwa na %s</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>Reversal reason</source>
        <translation>Sababu ya kubatilisha</translation>
    </message>
    <message>
        <source>%s reversal</source>
        <translation>Ubatilishaji wa %s</translation>
    </message>
</context>
<context>
    <name>Pharmacy</name>
    <message>
        <source>%s, %s, for %s</source>
        <translation>%s, %s, kwa %s</translation>
    </message>
    <message>
        <source>Quantity: %d</source>
        <translation>Idadi: %d</translation>
    </message>
    <message>
        <source>Dispensing label</source>
        <translation>Lebo ya dawa</translation>
    </message>
</context>
<context>
    <name>PharmacyScreen</name>
    <message>
        <source>Pharmacy</source>
        <translation>Famasia</translation>
    </message>
    <message>
        <source>Dispense</source>
        <translation>Toa dawa</translation>
    </message>
    <message>
        <source>Stock</source>
        <translation>Akiba</translation>
    </message>
</context>
<context>
    <name>PricesScreen</name>
    <message>
        <source>Price list</source>
        <translation>Orodha ya bei</translation>
    </message>
    <message>
        <source>New service</source>
        <translation>Huduma mpya</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Msimbo</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Huduma</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Aina</translation>
    </message>
    <message>
        <source>Price today</source>
        <translation>Bei ya leo</translation>
    </message>
    <message>
        <source>SHA code</source>
        <translation>Msimbo wa SHA</translation>
    </message>
    <message>
        <source>On the list</source>
        <translation>Kwenye orodha</translation>
    </message>
    <message>
        <source>KES, e.g. 1,500</source>
        <translation>KES, k.m. 1,500</translation>
    </message>
    <message>
        <source>SHA intervention code, if SHA pays</source>
        <translation>Msimbo wa huduma wa SHA, ikiwa SHA inalipa</translation>
    </message>
    <message>
        <source>On the price list</source>
        <translation>Kwenye orodha ya bei</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>Bei</translation>
    </message>
    <message>
        <source>Add service</source>
        <translation>Ongeza huduma</translation>
    </message>
    <message>
        <source>KES</source>
        <translation>KES</translation>
    </message>
    <message>
        <source>New price</source>
        <translation>Bei mpya</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Kuanzia</translation>
    </message>
    <message>
        <source>Set the new price</source>
        <translation>Weka bei mpya</translation>
    </message>
    <message>
        <source>A new price from a date</source>
        <translation>Bei mpya kuanzia tarehe fulani</translation>
    </message>
    <message>
        <source>Bills already made keep their prices, and so do days gone by.</source>
        <translation>Bili zilizokwisha kutengenezwa zinabaki na bei zake, vivyo hivyo siku zilizopita.</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ndiyo</translation>
    </message>
    <message>
        <source>no</source>
        <translation>hapana</translation>
    </message>
    <message>
        <source>Change %1</source>
        <translation>Badilisha %1</translation>
    </message>
    <message>
        <source>Save changes</source>
        <translation>Hifadhi mabadiliko</translation>
    </message>
    <message>
        <source>Saved %1; it reaches the other PCs at the next sync.</source>
        <translation>Imehifadhiwa: %1; itafika kwenye kompyuta nyingine katika usawazishaji ujao.</translation>
    </message>
</context>
<context>
    <name>Printing</name>
    <message>
        <source>Made on %s</source>
        <translation>Imetengenezwa %s</translation>
    </message>
    <message>
        <source>Could not start printing: the printer or the file is not available</source>
        <translation>Imeshindwa kuanza kuchapisha: printa au faili haipatikani</translation>
    </message>
</context>
<context>
    <name>QPlatformTheme</name>
    <message>
        <source>OK</source>
        <translation>Sawa</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Ghairi</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Hifadhi</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Funga</translation>
    </message>
    <message>
        <source>&amp;Yes</source>
        <translation>&amp;Ndiyo</translation>
    </message>
    <message>
        <source>&amp;No</source>
        <translation>&amp;Hapana</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>No.</source>
        <translation>Na.</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>Sex</source>
        <translation>Jinsia</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>Umri</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Hali</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>Anasubiri</translation>
    </message>
    <message>
        <source>Visit</source>
        <translation>Ziara</translation>
    </message>
    <message>
        <source>Bill</source>
        <translation>Bili</translation>
    </message>
    <message>
        <source>  (next)</source>
        <translation>  (anayefuata)</translation>
    </message>
    <message>
        <source>  ⚠ critical lab result</source>
        <translation>  ⚠ matokeo hatari ya maabara</translation>
    </message>
    <message>
        <source>New</source>
        <translation>Mpya</translation>
    </message>
    <message>
        <source>Revisit</source>
        <translation>Marudio</translation>
    </message>
</context>
<context>
    <name>QueueScreen</name>
    <message>
        <source>Open</source>
        <translation>Fungua</translation>
    </message>
    <message>
        <source>Send to consultation</source>
        <translation>Peleka kwa tabibu</translation>
    </message>
    <message>
        <source>Send to pharmacy</source>
        <translation>Peleka famasia</translation>
    </message>
    <message>
        <source>Complete</source>
        <translation>Maliza</translation>
    </message>
    <message>
        <source>Cancel visit…</source>
        <translation>Ghairi ziara…</translation>
    </message>
    <message>
        <source>Today&apos;s queue</source>
        <translation>Foleni ya leo</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>Foleni</translation>
    </message>
    <message numerus="yes">
        <source>%n waiting</source>
        <translation>
            <numerusform>%n anasubiri</numerusform>
            <numerusform>%n wanasubiri</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, %n seen today</source>
        <translation>
            <numerusform>, %n ameonwa leo</numerusform>
            <numerusform>, %n wameonwa leo</numerusform>
        </translation>
    </message>
    <message>
        <source>Cancel visit</source>
        <translation>Ghairi ziara</translation>
    </message>
    <message>
        <source>Why is %s&apos;s visit cancelled?</source>
        <translation>Kwa nini ziara ya %s inaghairiwa?</translation>
    </message>
    <message>
        <source>Not done</source>
        <translation>Haikufanyika</translation>
    </message>
</context>
<context>
    <name>Receipt</name>
    <message>
        <source>Receipt %1</source>
        <translation>Risiti %1</translation>
    </message>
    <message>
        <source>REVERSAL RECEIPT</source>
        <translation>RISITI YA UBATILISHAJI</translation>
    </message>
    <message>
        <source>RECEIPT</source>
        <translation>RISITI</translation>
    </message>
    <message>
        <source>COPY</source>
        <translation>NAKALA</translation>
    </message>
    <message>
        <source>Receipt no.</source>
        <translation>Nambari ya risiti</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Tarehe</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Huduma</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>Idadi</translation>
    </message>
    <message>
        <source>Unit price</source>
        <translation>Bei ya kimoja</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Kiasi</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Jumla</translation>
    </message>
    <message>
        <source>Reversed</source>
        <translation>Imebatilishwa</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>Njia</translation>
    </message>
    <message>
        <source>Reverses receipt</source>
        <translation>Inabatilisha risiti</translation>
    </message>
    <message>
        <source>This payment</source>
        <translation>Malipo haya</translation>
    </message>
    <message>
        <source>Tendered</source>
        <translation>Kilichotolewa</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Chenji</translation>
    </message>
    <message>
        <source>Paid to date</source>
        <translation>Kilicholipwa hadi sasa</translation>
    </message>
    <message>
        <source>Balance</source>
        <translation>Salio</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Sababu</translation>
    </message>
    <message>
        <source>Served by</source>
        <translation>Alihudumiwa na</translation>
    </message>
    <message>
        <source>Thank you. Get well soon.</source>
        <translation>Asante. Upone haraka.</translation>
    </message>
</context>
<context>
    <name>RecordedVitals</name>
    <message>
        <source>BMI</source>
        <translation>BMI</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Maelezo</translation>
    </message>
</context>
<context>
    <name>RefusedScreen</name>
    <message>
        <source>Refused changes</source>
        <translation>Mabadiliko yaliyokataliwa</translation>
    </message>
    <message>
        <source>Changes from this PC that the server refused. The record went back to the server&apos;s version; fix a refused change and send it again, or discard it.</source>
        <translation>Mabadiliko kutoka kompyuta hii ambayo seva iliyakataa. Rekodi ilirudi kwenye toleo la seva; rekebisha badiliko lililokataliwa na ulitume tena, au ulitupe.</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Lini</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Rekodi</translation>
    </message>
    <message>
        <source>Fields</source>
        <translation>Sehemu</translation>
    </message>
    <message>
        <source>Why the server refused it</source>
        <translation>Kwa nini seva ililikataa</translation>
    </message>
    <message>
        <source>Pick a refused change to fix it</source>
        <translation>Chagua badiliko lililokataliwa ili ulirekebishe</translation>
    </message>
    <message>
        <source>Send again</source>
        <translation>Tuma tena</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Tupa</translation>
    </message>
    <message numerus="yes">
        <source>%n to deal with</source>
        <translation>
            <numerusform>%n la kushughulikia</numerusform>
            <numerusform>%n ya kushughulikia</numerusform>
        </translation>
    </message>
    <message>
        <source>The refused change to the %1</source>
        <translation>Badiliko lililokataliwa: %1</translation>
    </message>
</context>
<context>
    <name>ReportChart</name>
    <message>
        <source>KES</source>
        <translation>KES</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>Nyingine</translation>
    </message>
</context>
<context>
    <name>ReportPdf</name>
    <message>
        <source>Nothing in this range.</source>
        <translation>Hakuna kitu katika kipindi hiki.</translation>
    </message>
    <message>
        <source>All branches</source>
        <translation>Matawi yote</translation>
    </message>
    <message>
        <source>Could not start the PDF: the file is not available</source>
        <translation>Imeshindwa kuanza PDF: faili haipatikani</translation>
    </message>
    <message>
        <source>page %d of %d</source>
        <translation>ukurasa %d kati ya %d</translation>
    </message>
</context>
<context>
    <name>ReportsScreen</name>
    <message>
        <source>Reports</source>
        <translation>Ripoti</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>&amp;Endesha</translation>
    </message>
    <message>
        <source>CSV</source>
        <translation>CSV</translation>
    </message>
    <message>
        <source>Excel</source>
        <translation>Excel</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Ripoti</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Kuanzia</translation>
    </message>
    <message>
        <source>to</source>
        <translation>hadi</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>Tawi</translation>
    </message>
    <message>
        <source>Pick a report, the days and the branch, then Run.</source>
        <translation>Chagua ripoti, siku na tawi, kisha Endesha.</translation>
    </message>
    <message>
        <source>Export:</source>
        <translation>Hamisha:</translation>
    </message>
    <message>
        <source>Could not read the branches: %s</source>
        <translation>Imeshindwa kusoma matawi: %s</translation>
    </message>
    <message>
        <source>All branches</source>
        <translation>Matawi yote</translation>
    </message>
    <message>
        <source>This branch</source>
        <translation>Tawi hili</translation>
    </message>
    <message>
        <source>Could not make the report: %s</source>
        <translation>Imeshindwa kutengeneza ripoti: %s</translation>
    </message>
    <message>
        <source>made at %s</source>
        <translation>imetengenezwa saa %s</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Faili za CSV (*.csv)</translation>
    </message>
    <message>
        <source>Excel workbooks (*.xlsx)</source>
        <translation>Faili za Excel (*.xlsx)</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>Faili za PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Export the report</source>
        <translation>Hamisha ripoti</translation>
    </message>
    <message>
        <source>Saved %s</source>
        <translation>Imehifadhiwa: %s</translation>
    </message>
    <message>
        <source>Could not save the report: %s</source>
        <translation>Imeshindwa kuhifadhi ripoti: %s</translation>
    </message>
</context>
<context>
    <name>ResultForm</name>
    <message>
        <source>Result</source>
        <translation>Matokeo</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Thamani</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>Kizio</translation>
    </message>
    <message>
        <source>Flag</source>
        <translation>Alama</translation>
    </message>
    <message>
        <source>Normal range</source>
        <translation>Kiwango cha kawaida</translation>
    </message>
    <message>
        <source> (if any)</source>
        <translation> (kama kipo)</translation>
    </message>
    <message>
        <source>— %s —</source>
        <translation>— %s —</translation>
    </message>
    <message>
        <source>Abnormal</source>
        <translation>Si kawaida</translation>
    </message>
</context>
<context>
    <name>ReverseDialog</name>
    <message>
        <source>Reverse payment</source>
        <translation>Batilisha malipo</translation>
    </message>
    <message>
        <source>Reverse receipt %s (%s, %s)? Say why; the reason is printed and kept.</source>
        <translation>Batilisha risiti %s (%s, %s)? Eleza sababu; sababu inachapishwa na kuhifadhiwa.</translation>
    </message>
    <message>
        <source>Reverse</source>
        <translation>Batilisha</translation>
    </message>
</context>
<context>
    <name>Role</name>
    <message>
        <source>Receptionist</source>
        <translation>Mpokezi</translation>
    </message>
    <message>
        <source>Nurse</source>
        <translation>Muuguzi</translation>
    </message>
    <message>
        <source>Clinical officer</source>
        <translation>Tabibu</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>Keshia</translation>
    </message>
    <message>
        <source>Pharmacist</source>
        <translation>Mfamasia</translation>
    </message>
    <message>
        <source>Claims manager</source>
        <translation>Meneja wa madai</translation>
    </message>
    <message>
        <source>Lab technician</source>
        <translation>Fundi wa maabara</translation>
    </message>
    <message>
        <source>Admin</source>
        <translation>Msimamizi</translation>
    </message>
</context>
<context>
    <name>ServerScreen</name>
    <message>
        <source>No clinic server is set up on this PC</source>
        <translation>Hakuna seva ya kliniki iliyowekwa kwenye kompyuta hii</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Jaribu tena</translation>
    </message>
    <message>
        <source>This needs the clinic server, and this PC has none set up: it works on its own data only.</source>
        <translation>Hii inahitaji seva ya kliniki, na kompyuta hii haina iliyowekwa: inafanya kazi na data yake tu.</translation>
    </message>
    <message>
        <source>This needs the clinic server, which cannot be reached now. The rest of the app works offline; try again when the network is back.</source>
        <translation>Hii inahitaji seva ya kliniki, ambayo haifikiki sasa. Sehemu nyingine za programu zinafanya kazi nje ya mtandao; jaribu tena mtandao ukirudi.</translation>
    </message>
    <message>
        <source>The clinic server did not accept this PC&apos;s login: %1</source>
        <translation>Seva ya kliniki haikukubali kuingia kwa kompyuta hii: %1</translation>
    </message>
    <message>
        <source>Not done: %1</source>
        <translation>Haikufanyika: %1</translation>
    </message>
</context>
<context>
    <name>ServiceKind</name>
    <message>
        <source>Consultation</source>
        <translation>Ushauri wa tabibu</translation>
    </message>
    <message>
        <source>Lab</source>
        <translation>Maabara</translation>
    </message>
    <message>
        <source>Drug</source>
        <translation>Dawa</translation>
    </message>
    <message>
        <source>Procedure</source>
        <translation>Utaratibu</translation>
    </message>
</context>
<context>
    <name>Sex</name>
    <message>
        <source>Female</source>
        <translation>Mwanamke</translation>
    </message>
    <message>
        <source>Male</source>
        <translation>Mwanamume</translation>
    </message>
    <message>
        <source>Intersex</source>
        <translation>Jinsia mbili</translation>
    </message>
    <message>
        <source>Sex not recorded</source>
        <translation>Jinsia haijarekodiwa</translation>
    </message>
</context>
<context>
    <name>ShaInvoice</name>
    <message>
        <source>SHA invoice %s</source>
        <translation>Ankara ya SHA %s</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>haijawekwa</translation>
    </message>
    <message>
        <source>SOCIAL HEALTH AUTHORITY (SHA) CLAIM INVOICE</source>
        <translation>ANKARA YA DAI LA MAMLAKA YA AFYA YA JAMII (SHA)</translation>
    </message>
    <message>
        <source>KMHFL code: %s · SHA facility ID: %s</source>
        <translation>Msimbo wa KMHFL: %s · Kitambulisho cha kituo cha SHA: %s</translation>
    </message>
    <message>
        <source>Claim number</source>
        <translation>Nambari ya dai</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>SHA member number</source>
        <translation>Nambari ya mwanachama wa SHA</translation>
    </message>
    <message>
        <source>Principal member&apos;s SHA number</source>
        <translation>Nambari ya SHA ya mwanachama mkuu</translation>
    </message>
    <message>
        <source>Relationship</source>
        <translation>Uhusiano</translation>
    </message>
    <message>
        <source>Dependant</source>
        <translation>Mtegemezi</translation>
    </message>
    <message>
        <source>Principal member</source>
        <translation>Mwanachama mkuu</translation>
    </message>
    <message>
        <source>Date of birth</source>
        <translation>Tarehe ya kuzaliwa</translation>
    </message>
    <message>
        <source>National ID</source>
        <translation>Kitambulisho</translation>
    </message>
    <message>
        <source>Visit date</source>
        <translation>Tarehe ya ziara</translation>
    </message>
    <message>
        <source>Clinician</source>
        <translation>Tabibu</translation>
    </message>
    <message>
        <source>not recorded</source>
        <translation>haijarekodiwa</translation>
    </message>
    <message>
        <source>Pre-authorisation number</source>
        <translation>Nambari ya idhini ya awali</translation>
    </message>
    <message>
        <source>Diagnoses</source>
        <translation>Utambuzi</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Msimbo</translation>
    </message>
    <message>
        <source>Coding</source>
        <translation>Mfumo wa msimbo</translation>
    </message>
    <message>
        <source>Diagnosis</source>
        <translation>Utambuzi</translation>
    </message>
    <message>
        <source>ICD-11 code for SHA</source>
        <translation>Msimbo wa ICD-11 kwa SHA</translation>
    </message>
    <message>
        <source> (primary)</source>
        <translation> (mkuu)</translation>
    </message>
    <message>
        <source>No diagnosis recorded.</source>
        <translation>Hakuna utambuzi uliorekodiwa.</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>Huduma</translation>
    </message>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>SHA code</source>
        <translation>Msimbo wa SHA</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Huduma</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>Idadi</translation>
    </message>
    <message>
        <source>Unit price</source>
        <translation>Bei ya kimoja</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Kiasi</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Jumla</translation>
    </message>
    <message>
        <source>No services on this claim.</source>
        <translation>Hakuna huduma katika dai hili.</translation>
    </message>
    <message>
        <source>Invoice total</source>
        <translation>Jumla ya ankara</translation>
    </message>
    <message>
        <source>Claimed from SHA</source>
        <translation>Kinachodaiwa kutoka SHA</translation>
    </message>
    <message>
        <source>I confirm that I received the services listed above on the date shown and that the SHA number given is mine or my principal member&apos;s.</source>
        <translation>Ninathibitisha kwamba nilipokea huduma zilizoorodheshwa hapo juu katika tarehe iliyoonyeshwa na kwamba nambari ya SHA iliyotolewa ni yangu au ya mwanachama wangu mkuu.</translation>
    </message>
    <message>
        <source>Patient (or guardian): name, signature, date</source>
        <translation>Mgonjwa (au mlezi): jina, sahihi, tarehe</translation>
    </message>
    <message>
        <source>Clinician: name, signature, stamp</source>
        <translation>Tabibu: jina, sahihi, muhuri</translation>
    </message>
</context>
<context>
    <name>ShiftPanel</name>
    <message>
        <source>Open a shift</source>
        <translation>Fungua zamu</translation>
    </message>
    <message>
        <source>Count the cash in the drawer before the first patient pays, and type it as the opening float.</source>
        <translation>Hesabu pesa taslimu zilizo kwenye droo kabla mgonjwa wa kwanza hajalipa, na uandike kiasi hicho kama pesa za kuanzia.</translation>
    </message>
    <message>
        <source>e.g. 2,000 or 1,250.50</source>
        <translation>k.m. 2,000 au 1,250.50</translation>
    </message>
    <message>
        <source>Opening float (KES)</source>
        <translation>Pesa za kuanzia (KES)</translation>
    </message>
    <message>
        <source>&amp;Open shift</source>
        <translation>&amp;Fungua zamu</translation>
    </message>
    <message>
        <source>Shift</source>
        <translation>Zamu</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>Ilifunguliwa</translation>
    </message>
    <message>
        <source>Opening float</source>
        <translation>Pesa za kuanzia</translation>
    </message>
    <message>
        <source>Cash taken so far</source>
        <translation>Pesa taslimu zilizopokelewa hadi sasa</translation>
    </message>
    <message>
        <source>Expected cash in drawer</source>
        <translation>Pesa taslimu zinazotarajiwa kwenye droo</translation>
    </message>
    <message>
        <source>Cash counted</source>
        <translation>Pesa taslimu zilizohesabiwa</translation>
    </message>
    <message>
        <source>Variance</source>
        <translation>Tofauti</translation>
    </message>
    <message>
        <source>Payments</source>
        <translation>Malipo</translation>
    </message>
    <message>
        <source>By payment method</source>
        <translation>Kwa njia ya malipo</translation>
    </message>
    <message>
        <source>Payments and reversals</source>
        <translation>Malipo na ubatilishaji</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Onyesha upya</translation>
    </message>
    <message>
        <source>&amp;Close shift…</source>
        <translation>&amp;Funga zamu…</translation>
    </message>
    <message>
        <source>&amp;Print cash-up…</source>
        <translation>&amp;Chapisha hesabu ya pesa…</translation>
    </message>
    <message>
        <source>Save cash-up as P&amp;DF…</source>
        <translation>Hifadhi hesabu ya pesa kama P&amp;DF…</translation>
    </message>
    <message>
        <source>Open a &amp;new shift</source>
        <translation>Fungua zamu &amp;mpya</translation>
    </message>
    <message>
        <source>Your shift is open</source>
        <translation>Zamu yako iko wazi</translation>
    </message>
    <message>
        <source>Shift closed at %s — cash-up</source>
        <translation>Zamu ilifungwa %s — hesabu ya pesa</translation>
    </message>
    <message>
        <source>%s by %s</source>
        <translation>%s, na %s</translation>
    </message>
    <message>
        <source>not yet counted</source>
        <translation>bado hazijahesabiwa</translation>
    </message>
    <message>
        <source>%d payments, %d reversals</source>
        <translation>malipo %d, ubatilishaji %d</translation>
    </message>
    <message>
        <source>Shift opened with a float of %s.</source>
        <translation>Zamu imefunguliwa kwa pesa za kuanzia %s.</translation>
    </message>
    <message>
        <source>Shift closed. Counted %s, expected %s: %s.</source>
        <translation>Zamu imefungwa. Zilizohesabiwa %s, zilizotarajiwa %s: %s.</translation>
    </message>
    <message>
        <source>Could not do it: %s</source>
        <translation>Imeshindikana: %s</translation>
    </message>
    <message>
        <source>Could not print the cash-up: %s</source>
        <translation>Imeshindwa kuchapisha hesabu ya pesa: %s</translation>
    </message>
    <message>
        <source>Save the cash-up</source>
        <translation>Hifadhi hesabu ya pesa</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>Faili za PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Could not save the cash-up: %s</source>
        <translation>Imeshindwa kuhifadhi hesabu ya pesa: %s</translation>
    </message>
    <message>
        <source>Cash-up saved to %s.</source>
        <translation>Hesabu ya pesa imehifadhiwa kwenye %s.</translation>
    </message>
</context>
<context>
    <name>ShiftsModel</name>
    <message>
        <source>Cashier</source>
        <translation>Keshia</translation>
    </message>
    <message>
        <source>PC</source>
        <translation>Kompyuta</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>Ilifunguliwa</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Ilifungwa</translation>
    </message>
    <message>
        <source>Float</source>
        <translation>Pesa za kuanzia</translation>
    </message>
    <message>
        <source>Cash taken</source>
        <translation>Taslimu zilizopokelewa</translation>
    </message>
    <message>
        <source>Expected cash</source>
        <translation>Taslimu zinazotarajiwa</translation>
    </message>
    <message>
        <source>Counted</source>
        <translation>Zilizohesabiwa</translation>
    </message>
    <message>
        <source>Variance</source>
        <translation>Tofauti</translation>
    </message>
    <message>
        <source>Other methods</source>
        <translation>Njia nyingine</translation>
    </message>
    <message>
        <source>open</source>
        <translation>wazi</translation>
    </message>
</context>
<context>
    <name>ShiftsScreen</name>
    <message>
        <source>Shifts and cash-up</source>
        <translation>Zamu na hesabu ya pesa</translation>
    </message>
    <message>
        <source>My shift</source>
        <translation>Zamu yangu</translation>
    </message>
    <message>
        <source>Branch cash-up</source>
        <translation>Hesabu ya pesa ya tawi</translation>
    </message>
    <message>
        <source>M-Pesa reconciliation</source>
        <translation>Ulinganisho wa M-Pesa</translation>
    </message>
</context>
<context>
    <name>StockPanel</name>
    <message>
        <source>Drug</source>
        <translation>Dawa</translation>
    </message>
    <message>
        <source>On hand</source>
        <translation>Zilizopo</translation>
    </message>
    <message>
        <source>Reorder at</source>
        <translation>Agiza tena kwa</translation>
    </message>
    <message>
        <source>Next expiry</source>
        <translation>Muda wa kuisha ujao</translation>
    </message>
    <message>
        <source>Batches · expiry · on hand</source>
        <translation>Bechi · muda wa kuisha · zilizopo</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>Bechi</translation>
    </message>
    <message>
        <source>Expiry</source>
        <translation>Muda wa kuisha</translation>
    </message>
    <message>
        <source>&amp;Write off the chosen batch</source>
        <translation>&amp;Ondoa bechi iliyochaguliwa</translation>
    </message>
    <message>
        <source>Low stock</source>
        <translation>Akiba ndogo</translation>
    </message>
    <message>
        <source>Expiring soon</source>
        <translation>Inaisha muda hivi karibuni</translation>
    </message>
    <message>
        <source>Receive stock</source>
        <translation>Pokea akiba</translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation>Idadi</translation>
    </message>
    <message>
        <source>&amp;Receive</source>
        <translation>&amp;Pokea</translation>
    </message>
    <message>
        <source>Count a batch</source>
        <translation>Hesabu bechi</translation>
    </message>
    <message>
        <source>Counted</source>
        <translation>Zilizohesabiwa</translation>
    </message>
    <message>
        <source>Why it differs, e.g. breakage</source>
        <translation>Kwa nini inatofautiana, k.m. kuvunjika</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Sababu</translation>
    </message>
    <message>
        <source>Record &amp;count</source>
        <translation>Rekodi &amp;hesabu</translation>
    </message>
    <message>
        <source>Reorder level</source>
        <translation>Kiwango cha kuagiza tena</translation>
    </message>
    <message>
        <source>&amp;Set level</source>
        <translation>&amp;Weka kiwango</translation>
    </message>
    <message>
        <source>Stock belongs to a branch; log in at a branch</source>
        <translation>Akiba ni ya tawi; ingia ukiwa kwenye tawi</translation>
    </message>
    <message>
        <source>(expired)</source>
        <translation>(muda umeisha)</translation>
    </message>
    <message>
        <source>Low stock (%1)</source>
        <translation>Akiba ndogo (%1)</translation>
    </message>
    <message>
        <source>Expiring soon (%1)</source>
        <translation>Inaisha muda hivi karibuni (%1)</translation>
    </message>
    <message>
        <source>No batch in stock</source>
        <translation>Hakuna bechi kwenye akiba</translation>
    </message>
    <message>
        <source>%1 received</source>
        <translation>%1 imepokelewa</translation>
    </message>
    <message>
        <source>Count recorded for %1</source>
        <translation>Hesabu imerekodiwa kwa %1</translation>
    </message>
    <message>
        <source>Choose a batch on the list first</source>
        <translation>Chagua bechi kwenye orodha kwanza</translation>
    </message>
    <message>
        <source>Batch %1 of %2 written off</source>
        <translation>Bechi %1 ya %2 imeondolewa</translation>
    </message>
    <message>
        <source>Reorder level set for %1</source>
        <translation>Kiwango cha kuagiza tena kimewekwa kwa %1</translation>
    </message>
</context>
<context>
    <name>Sync</name>
    <message>
        <source>%1; retrying in %2 s</source>
        <translation>%1; inajaribu tena baada ya sekunde %2</translation>
    </message>
    <message>
        <source>Sync failed: %1</source>
        <translation>Kusawazisha kumeshindwa: %1</translation>
    </message>
    <message>
        <source>never</source>
        <translation>bado</translation>
    </message>
</context>
<context>
    <name>SyncHistoryScreen</name>
    <message>
        <source>Sync</source>
        <translation>Usawazishaji</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>Sawazisha sasa</translation>
    </message>
    <message>
        <source>Push this PC&apos;s changes and pull the others&apos; now</source>
        <translation>Tuma mabadiliko ya kompyuta hii na upokee ya zile nyingine sasa</translation>
    </message>
    <message>
        <source>This PC has no server to sync with</source>
        <translation>Kompyuta hii haina seva ya kusawazisha nayo</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Ilianza</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Ilimaliza</translation>
    </message>
    <message>
        <source>Pushed</source>
        <translation>Zilizotumwa</translation>
    </message>
    <message>
        <source>Pulled</source>
        <translation>Zilizopokelewa</translation>
    </message>
    <message>
        <source>Conflicts</source>
        <translation>Migongano</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>Zilizokataliwa</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>Tatizo</translation>
    </message>
    <message>
        <source>running</source>
        <translation>inaendelea</translation>
    </message>
    <message>
        <source>%1 · %2 waiting to be pushed%3</source>
        <translation>%1 · %2 zinasubiri kutumwa%3</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Mtandaoni</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Nje ya mtandao</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Inasawazisha…</translation>
    </message>
</context>
<context>
    <name>TriageScreen</name>
    <message>
        <source>Triage</source>
        <translation>Uchunguzi wa awali</translation>
    </message>
    <message>
        <source>Waiting for triage</source>
        <translation>Wanasubiri uchunguzi wa awali</translation>
    </message>
    <message>
        <source>No patients are waiting for triage.</source>
        <translation>Hakuna wagonjwa wanaosubiri uchunguzi wa awali.</translation>
    </message>
    <message>
        <source>Anything the clinician should know</source>
        <translation>Chochote ambacho tabibu anapaswa kujua</translation>
    </message>
    <message>
        <source>&amp;Save vitals (Ctrl+S)</source>
        <translation>&amp;Hifadhi vipimo muhimu (Ctrl+S)</translation>
    </message>
    <message>
        <source>Vital signs</source>
        <translation>Vipimo muhimu</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Maelezo</translation>
    </message>
    <message>
        <source>No vitals recorded yet at this visit.</source>
        <translation>Bado hakuna vipimo muhimu vilivyorekodiwa katika ziara hii.</translation>
    </message>
    <message>
        <source>Recorded at this visit</source>
        <translation>Vilivyorekodiwa katika ziara hii</translation>
    </message>
    <message>
        <source>Ranges for age %s.</source>
        <translation>Viwango vya umri %s.</translation>
    </message>
    <message>
        <source>Age unknown: adult ranges are used.</source>
        <translation>Umri haujulikani: viwango vya watu wazima vinatumika.</translation>
    </message>
    <message>
        <source>This visit is closed; vitals cannot be added.</source>
        <translation>Ziara hii imefungwa; vipimo muhimu haviwezi kuongezwa.</translation>
    </message>
    <message>
        <source>BMI %s kg/m²</source>
        <translation>BMI %s kg/m²</translation>
    </message>
    <message>
        <source>Type at least one reading before saving.</source>
        <translation>Andika angalau kipimo kimoja kabla ya kuhifadhi.</translation>
    </message>
    <message>
        <source>Critical readings</source>
        <translation>Vipimo hatari</translation>
    </message>
    <message>
        <source>These readings are critical:</source>
        <translation>Vipimo hivi ni hatari:</translation>
    </message>
    <message>
        <source>Check them on the patient. Save them and alert the clinician now?</source>
        <translation>Vikague kwa mgonjwa. Vihifadhi na umjulishe tabibu sasa?</translation>
    </message>
    <message>
        <source>Save critical readings</source>
        <translation>Hifadhi vipimo hatari</translation>
    </message>
    <message>
        <source>Go back and check</source>
        <translation>Rudi ukague</translation>
    </message>
    <message>
        <source>Vitals saved for %s (%s).</source>
        <translation>Vipimo muhimu vimehifadhiwa kwa %s (%s).</translation>
    </message>
    <message>
        <source>Could not save the vitals: %s</source>
        <translation>Imeshindwa kuhifadhi vipimo muhimu: %s</translation>
    </message>
</context>
<context>
    <name>Unit</name>
    <message>
        <source>bpm</source>
        <translation>mapigo/dak</translation>
    </message>
    <message>
        <source>breaths/min</source>
        <translation>pumzi/dak</translation>
    </message>
</context>
<context>
    <name>UsersScreen</name>
    <message>
        <source>Staff</source>
        <translation>Wafanyakazi</translation>
    </message>
    <message>
        <source>New user</source>
        <translation>Mtumiaji mpya</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>Jina la mtumiaji</translation>
    </message>
    <message>
        <source>Full name</source>
        <translation>Jina kamili</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Jukumu</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>Tawi</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Hali</translation>
    </message>
    <message>
        <source>at least 10 characters</source>
        <translation>angalau herufi 10</translation>
    </message>
    <message>
        <source>First password</source>
        <translation>Nenosiri la kwanza</translation>
    </message>
    <message>
        <source>Add user</source>
        <translation>Ongeza mtumiaji</translation>
    </message>
    <message>
        <source>Deactivate</source>
        <translation>Zima</translation>
    </message>
    <message>
        <source>One-time password</source>
        <translation>Nenosiri la mara moja</translation>
    </message>
    <message>
        <source>All branches (admins only)</source>
        <translation>Matawi yote (wasimamizi tu)</translation>
    </message>
    <message>
        <source>All branches</source>
        <translation>Matawi yote</translation>
    </message>
    <message>
        <source>Deactivated</source>
        <translation>Amezimwa</translation>
    </message>
    <message>
        <source>Active; must change password</source>
        <translation>Amilifu; lazima abadilishe nenosiri</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Amilifu</translation>
    </message>
    <message>
        <source>Change %1</source>
        <translation>Badilisha %1</translation>
    </message>
    <message>
        <source>Save changes</source>
        <translation>Hifadhi mabadiliko</translation>
    </message>
    <message>
        <source>Reactivate</source>
        <translation>Washa tena</translation>
    </message>
    <message>
        <source>One-time password for %1: %2
Give it to them in person; they choose their own at their next login.</source>
        <translation>Nenosiri la mara moja la %1: %2
Mpe ana kwa ana; atachagua lake mwenyewe atakapoingia tena.</translation>
    </message>
    <message>
        <source>Saved %1.</source>
        <translation>Imehifadhiwa: %1.</translation>
    </message>
</context>
<context>
    <name>Variance</name>
    <message>
        <source>short</source>
        <translation>pungufu</translation>
    </message>
    <message>
        <source>over</source>
        <translation>ziada</translation>
    </message>
    <message>
        <source>balanced</source>
        <translation>sawa</translation>
    </message>
</context>
<context>
    <name>VisitHeader</name>
    <message>
        <source>← Waiting list (Esc)</source>
        <translation>← Orodha ya wanaosubiri (Esc)</translation>
    </message>
    <message>
        <source>Opening the visit…</source>
        <translation>Inafungua ziara…</translation>
    </message>
    <message>
        <source>Age %s</source>
        <translation>Umri %s</translation>
    </message>
    <message>
        <source>Age unknown</source>
        <translation>Umri haujulikani</translation>
    </message>
    <message>
        <source>Visit of %s</source>
        <translation>Ziara ya %s</translation>
    </message>
</context>
<context>
    <name>VisitScreen</name>
    <message>
        <source>Could not read the store: %s</source>
        <translation>Imeshindwa kusoma hifadhidata: %s</translation>
    </message>
    <message>
        <source>Seth Clinic</source>
        <translation>Seth Clinic</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>Mabadiliko hayajahifadhiwa</translation>
    </message>
    <message>
        <source>Discard what you typed for %s?</source>
        <translation>Tupa ulichoandika kwa %s?</translation>
    </message>
    <message>
        <source>&amp;Discard</source>
        <translation>&amp;Tupa</translation>
    </message>
    <message>
        <source>&amp;Keep editing</source>
        <translation>&amp;Endelea kuhariri</translation>
    </message>
    <message>
        <source>That visit no longer exists.</source>
        <translation>Ziara hiyo haipo tena.</translation>
    </message>
    <message>
        <source>Could not open the visit: %s</source>
        <translation>Imeshindwa kufungua ziara: %s</translation>
    </message>
</context>
<context>
    <name>VisitStatus</name>
    <message>
        <source>Waiting for triage</source>
        <translation>Anasubiri uchunguzi wa awali</translation>
    </message>
    <message>
        <source>Triaged</source>
        <translation>Amefanyiwa uchunguzi wa awali</translation>
    </message>
    <message>
        <source>Waiting for consultation</source>
        <translation>Anasubiri mashauriano</translation>
    </message>
    <message>
        <source>In consultation</source>
        <translation>Yuko kwenye mashauriano</translation>
    </message>
    <message>
        <source>Waiting for lab</source>
        <translation>Anasubiri maabara</translation>
    </message>
    <message>
        <source>Waiting for pharmacy</source>
        <translation>Anasubiri famasia</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Imekamilika</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Imeghairiwa</translation>
    </message>
</context>
<context>
    <name>Vital</name>
    <message>
        <source>Temperature</source>
        <translation>Joto la mwili</translation>
    </message>
    <message>
        <source>Pulse</source>
        <translation>Mapigo ya moyo</translation>
    </message>
    <message>
        <source>Respiratory rate</source>
        <translation>Kasi ya kupumua</translation>
    </message>
    <message>
        <source>Systolic BP</source>
        <translation>BP ya sistoli</translation>
    </message>
    <message>
        <source>Diastolic BP</source>
        <translation>BP ya diastoli</translation>
    </message>
    <message>
        <source>SpO2</source>
        <translation>SpO2</translation>
    </message>
    <message>
        <source>Weight</source>
        <translation>Uzito</translation>
    </message>
    <message>
        <source>Height</source>
        <translation>Urefu</translation>
    </message>
    <message>
        <source>MUAC</source>
        <translation>MUAC</translation>
    </message>
    <message>
        <source>Blood glucose</source>
        <translation>Sukari ya damu</translation>
    </message>
</context>
<context>
    <name>Vitals</name>
    <message>
        <source>BMI %s</source>
        <translation>BMI %s</translation>
    </message>
</context>
<context>
    <name>VitalsForm</name>
    <message>
        <source>Reading</source>
        <translation>Kipimo</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>Kizio</translation>
    </message>
    <message>
        <source>Flag</source>
        <translation>Alama</translation>
    </message>
    <message>
        <source>Normal range</source>
        <translation>Kiwango cha kawaida</translation>
    </message>
    <message>
        <source>Type a number, such as %s</source>
        <translation>Andika nambari, kama %s</translation>
    </message>
</context>
<context>
    <name>Waiting</name>
    <message>
        <source>%d h %02d min</source>
        <translation>saa %d dak %02d</translation>
    </message>
    <message>
        <source>%d min</source>
        <translation>dak %d</translation>
    </message>
</context>
<context>
    <name>WaitingList</name>
    <message>
        <source>No.</source>
        <translation>Na.</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>Sex</source>
        <translation>Jinsia</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>Umri</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Hali</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>Amesubiri</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>&amp;Fungua</translation>
    </message>
    <message>
        <source>Enter opens the highlighted patient.</source>
        <translation>Enter inafungua mgonjwa aliyeangaziwa.</translation>
    </message>
    <message>
        <source>  ⚠ critical lab result</source>
        <translation>  ⚠ matokeo hatari ya maabara</translation>
    </message>
</context>
<context>
    <name>WaitingModel</name>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>Bill</source>
        <translation>Bili</translation>
    </message>
</context>
<context>
    <name>WorklistModel</name>
    <message>
        <source>Requested</source>
        <translation>Iliombwa</translation>
    </message>
    <message>
        <source>OP number</source>
        <translation>Nambari ya OP</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Mgonjwa</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>Umri</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Kipimo</translation>
    </message>
    <message>
        <source>Clinician</source>
        <translation>Tabibu</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Hali</translation>
    </message>
    <message>
        <source>Critical result</source>
        <translation>Matokeo hatari</translation>
    </message>
    <message>
        <source>Results in</source>
        <translation>Matokeo yamefika</translation>
    </message>
    <message>
        <source>To do</source>
        <translation>Ya kufanya</translation>
    </message>
</context>
</TS>
