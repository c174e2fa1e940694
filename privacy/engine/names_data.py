"""Bundled multilingual gazetteer of given names and surnames, titles and non-name capitalized words."""

from __future__ import annotations

import unicodedata


def _words(blob: str) -> frozenset[str]:
    return frozenset(blob.split())


def _with_ascii_folds(names: frozenset[str]) -> frozenset[str]:
    """Add an accent-free spelling of every name ("José" -> "Jose"), as people often type it that way."""
    out = set(names)
    for name in names:
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
        out.add(
            folded.replace("ß", "ss")
            .replace("ø", "o")
            .replace("Ø", "O")
            .replace("ł", "l")
            .replace("Ł", "L")
            .replace("đ", "d")
            .replace("Đ", "D")
        )
    return frozenset(out)


# Given names, grouped by language or region for maintenance; the groups overlap on purpose.
_FIRST_EN = """
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony
Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob
Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Patrick
Raymond Jack Dennis Jerry Tyler Aaron Adam Nathan Henry Douglas Zachary Peter Kyle Ethan Walter Noah
Jeremy Christian Keith Roger Terry Gerald Harold Sean Carl Arthur Lawrence Dylan Jesse Bryan Billy Joe
Bruce Gabriel Logan Albert Willie Alan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Philip
Louis Harry Oliver Charlie Oscar Leo Archie Alfie Freddie Theo Arlo Finley Toby Liam Lucas Owen Connor
Callum Declan Hugh Rory Seamus Ciaran Niall Eoin Stuart Graham Neil Colin Ian Gavin Craig Duncan Hamish
Angus Fraser Alistair Euan Ewan Gareth Rhys Dafydd Emrys Ieuan Morgan Trevor Nigel Clive Derek Malcolm
Barry Martin Simon Julian Adrian Dominic Sebastian Rupert Hugo Jasper Felix Miles Tristan Edmund Ashley
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra
Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura Cynthia
Kathleen Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha Katherine Christine Debra Rachel
Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Kelly Lauren Christina Joan Evelyn
Judith Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice
Jean Abigail Alice Judy Sophia Denise Doris Marilyn Danielle Beverly Isabella Theresa Diana Natalie
Brittany Charlotte Marie Kayla Alexis Lori Jane Amelia Isla Ava Mia Poppy Freya Ella Evie Sienna Chloe
Zoe Matilda Rosie Phoebe Imogen Harriet Eleanor Siobhan Aoife Niamh Saoirse Ciara Orla Caoimhe Holly
Molly Lucy Bethany Gemma Kirsty Fiona Morag Eilidh Ailsa Rhiannon Cerys Ffion Bronwen Gwen Megan Tegan
Alison Allison Wendy Tracy Tracey Stacey Kerry Leanne Natasha Nadine Yvonne Vanessa Tiffany Courtney
Brooke Paige Taylor Kaylee Haley Hailey Avery Harper Scarlett Aria Layla Nora Penelope Stella Violet
Aurora Hazel Audrey Claire Lillian Addison Eleanor Natalia Valentina Camila Savannah Kinsley Naomi Elena
Josephine Delilah Madeline Cora Ivy Eliza Quinn Margot Rosalind Beatrice Edith Agnes Mabel Winifred
Jonathon Steve Mike Dave Chris Tony Matt Nick Rob Bob Jim Jimmy Tommy Danny Joey Andy Greg Jeff Ken Kenny
Ron Ted Fred Ed Eddie Alex Sam Ben Tom Dan Josh Jake Luke Zach Nate Jamie Katie Kate Jenny Becky Beth
Liz Lizzie Sally Susie Maggie Meg Abby Ellie Millie Nancy Peggy Debbie Sandy Cindy Mandy Vicky Nikki
Tyrone DeShawn Darnell Jamal Malik Terrell Andre Marcus Reginald Cedric Lamar Darius Jalen Trevon
Latoya Shanice Tanisha Keisha Aaliyah Imani Ebony Jasmine Destiny Raven Monique Dominique Shaniqua
"""

_FIRST_DE = """
Lukas Leon Finn Jonas Elias Felix Maximilian Luis Emil Anton Jakob Moritz Niklas Tim Jan Tobias Florian
Stefan Andreas Markus Matthias Jürgen Klaus Dieter Wolfgang Hans Uwe Günter Günther Gerhard Horst
Helmut Manfred Werner Heinz Karl Friedrich Wilhelm Heinrich Johannes Philipp Benedikt Dominik Fabian
Kai Lars Sven Timo Torsten Volker Ulrich Rainer Bernd Detlef Holger Jörg Ralf Dirk Ole Malte Jannik
Jannis Lennard Lennart Henrik Till Nils Mats Hauke Fiete Jens Kurt Rolf Otto Ernst Erwin Walther Norbert
Hartmut Lothar Siegfried Reinhard Eberhard Gottfried Konrad Ludwig Rüdiger Sönke Thorsten Carsten
Lea Lena Leonie Lara Johanna Clara Greta Frieda Ida Mathilda Paula Amelie Luisa Katharina Julia Sabine
Petra Monika Ursula Renate Brigitte Gisela Helga Ingrid Karin Birgit Claudia Susanne Stefanie Tanja
Anja Silke Heike Kerstin Manuela Daniela Jutta Gabriele Ute Elke Bärbel Annegret Franziska Magdalena
Jana Nina Svenja Maike Wiebke Ilse Hildegard Gertrud Erika Waltraud Irmgard Lieselotte Annika Anke
Antje Dörte Frauke Imke Insa Kirsten Marlene Mareike Merle Pia Romy Sophie Theresa Ulrike Veronika
Cornelia Christiane Martina Melanie Simone Sandra Yvonne Jacqueline Mandy Peggy Ronny Enrico Maik Heiko
"""

_FIRST_FR = """
Pierre Michel André Philippe Alain Jacques Bernard Christophe Nicolas Sébastien Julien Laurent Stéphane
Olivier Frédéric Thierry Éric Pascal Didier Gilles Thibault Mathieu Guillaume Antoine Raphaël Jules
Léo Maël Théo Noé Baptiste Clément Maxime Romain Quentin Benoît Vincent François Yves Marcel Henri
Gérard Claude Rémi Jérôme Cédric Fabrice Lionel Xavier Arnaud Bertrand Florent Grégoire Loïc Yannick
Hervé Jean-Pierre Jean-Luc Jean-Marc Jean-Paul Jean-Claude Jean-François Jean-Michel Jean-Baptiste
Nathalie Isabelle Sylvie Catherine Françoise Christine Monique Valérie Sophie Sandrine Céline Aurélie
Émilie Camille Léa Manon Chloé Inès Louise Lina Juliette Margaux Mathilde Pauline Élodie Amélie Océane
Clémence Agathe Héloïse Capucine Anaïs Delphine Virginie Hélène Brigitte Chantal Dominique Josiane
Geneviève Mireille Colette Odile Solène Maëlys Noémie Coralie Ségolène Marion Morgane Laetitia Gaëlle
Annick Béatrice Corinne Martine Nadège Patricia Sabrina Séverine Marie-Claire Marie-Hélène Anne-Sophie
"""

_FIRST_ES_PT = """
Antonio Manuel José Francisco Juan Javier Carlos Jesús Alejandro Miguel Rafael Pablo Pedro Ángel Sergio
Fernando Jorge Luis Alberto Álvaro Adrián Diego Raúl Enrique Ramón Andrés Joaquín Mateo Martín Iker
Unai Gonzalo Rodrigo Emilio Ignacio Íñigo Jordi Oriol Arnau Àlex Xavi Guillermo Esteban Eduardo Ricardo
Héctor Hernán Gustavo Mauricio Rubén Óscar Víctor Agustín Tomás Nicolás Sebastián Matías Benjamín
Felipe Cristóbal Emiliano Leonardo Santino Thiago Bautista Facundo Lautaro Joaquim Marcelo Rogelio
María Carmen Ana Isabel Laura Cristina Marta Lucía Paula Elena Sara Raquel Pilar Dolores Concepción
Manuela Beatriz Nuria Silvia Julia Irene Alba Claudia Noelia Montserrat Rocío Alicia Sofía Martina
Valeria Daniela Jimena Ximena Guadalupe Lupe Inmaculada Ainhoa Leire Itziar Núria Mireia Laia Aina
Queralt Montse Lorena Verónica Esther Yolanda Gabriela Camila Fernanda Catalina Renata Luciana Agustina
Florencia Micaela Antonella Romina Belén Macarena Ximena Itzel Yesenia Maricela Araceli Rosario Soledad
João Tiago Rui Nuno Gonçalo Duarte Afonso Martim Vasco Bruno Paulo Fábio Hélder Sérgio Luís Marcos
Gustavo Matheus Guilherme Vinícius Caio Lucas Enzo Davi Heitor Arthur Bernardo Samuel Murilo Otávio
Beatriz Inês Mariana Joana Catarina Leonor Matilde Carolina Rita Francisca Margarida Juliana Larissa
Letícia Bruna Luana Thaís Adriana Conceição Graça Fátima Luíza Luiza Vitória Manuela Lívia Giovana
"""

_FIRST_IT = """
Giuseppe Giovanni Mario Luigi Francesco Angelo Vincenzo Pietro Salvatore Carlo Franco Domenico Michele
Giorgio Aldo Luciano Alessandro Lorenzo Matteo Riccardo Gabriele Tommaso Edoardo Federico Marco Luca
Davide Simone Stefano Fabio Roberto Massimo Maurizio Claudio Enrico Emanuele Gianluca Gianni Giacomo
Filippo Nicola Dario Raffaele Ciro Gennaro Alberto Umberto Sandro Renato Fabrizio Cristiano Mattia
Giuseppina Giovanna Lucia Carmela Caterina Francesca Giulia Ginevra Giorgia Beatrice Chiara Elisa
Federica Alessandra Paola Roberta Simona Antonella Serena Ilaria Giada Noemi Arianna Veronica Monica
Patrizia Donatella Loredana Rossella Tiziana Ornella Graziella Annalisa Marisa Concetta Assunta Rosaria
"""

_FIRST_NL_NORDIC = """
Daan Sem Levi Milan Bram Luuk Thijs Ruben Niels Stijn Koen Jeroen Bas Pieter Joost Maarten Sander Wouter
Willem Hendrik Gerrit Cornelis Kees Henk Joris Rutger Floris Gijs Teun Mees Jurre Sjoerd Tjeerd Wybren
Hidde Jelle Jorrit Arjen Marijn Tijmen Bart Frank Erik Ruud Dennis Michiel Lieke Fenna Lotte Saar Anouk
Sanne Femke Fleur Maartje Marieke Annemieke Wilma Gerda Hanneke Inge Janneke Mirjam Noor Roos Yara Jip
Tess Mila Evi Elin Linde Marloes Floor Ilse Esmee Famke Geertje Hester Jikke Sietske
Anders Johan Magnus Olof Björn Gunnar Mikkel Rasmus Søren Kasper Mads Oskar Axel Aksel Mathias Kristian
Knut Ola Eirik Sigurd Jukka Mikko Matti Juha Antti Pekka Ville Eetu Väinö Astrid Sigrid Birgitta Ulla
Maja Ebba Saga Freja Signe Mette Hanne Ingeborg Solveig Aino Eveliina Aada Helmi Sanna Riikka Tuula
Päivi Mervi Linnea Alva Tove Stina Malin Frida Kajsa Agnetha Gudrun Ragnhild Torbjörn Leif Stig Håkan
"""

_FIRST_CEE = """
Piotr Krzysztof Andrzej Tomasz Paweł Michał Marcin Grzegorz Jakub Kamil Łukasz Mateusz Wojciech Marek
Szymon Bartosz Dawid Kacper Zbigniew Stanisław Jerzy Tadeusz Józef Jacek Agnieszka Małgorzata Katarzyna
Joanna Ewa Krystyna Elżbieta Zofia Aleksandra Karolina Dorota Beata Justyna Paulina Weronika Zuzanna
Wiktoria Jadwiga Halina Danuta Jiří Petr Pavel Tomáš Lukáš Ondřej Vojtěch Petra Lucie Tereza Kateřina
Eliška Zdeněk Miroslav Ladislav Václav László István József Zoltán Gábor Attila Balázs Zsolt Ferenc
Erzsébet Zsófia Katalin Éva Ildikó Andrei Mihai Ion Alexandru Ștefan Ioana Andreea Mihaela Ivan Dmitri
Dmitry Sergei Sergey Alexei Alexey Nikolai Vladimir Mikhail Yuri Oleg Igor Boris Anatoly Olga Tatiana
Svetlana Irina Ekaterina Anastasia Yulia Daria Ksenia Oksana Olena Mykola Taras Bohdan Dmytro Nikola
Marko Luka Ivana Milica Jelena Dragan Goran Zoran Aleksandar Milan Vesna Snežana Bojan Nenad Tanja
Georgios Giorgos Dimitrios Ioannis Konstantinos Nikolaos Panagiotis Vasileios Christos Athanasios
Evangelos Eleni Aikaterini Vasiliki Angeliki Dimitra Despina Kyriakos Stavros Theodoros Spyros
Иван Александр Сергей Дмитрий Андрей Алексей Михаил Владимир Николай Ольга Наталья Елена Татьяна Анна
Мария Екатерина Ирина Светлана Олена Тарас Юлия Павел Игорь
Γιώργος Γεώργιος Δημήτρης Νίκος Μαρία Ελένη Κωνσταντίνος Γιάννης Κατερίνα Σοφία
"""

_FIRST_MENA_TR = """
Mehmet Mustafa Ahmet Hüseyin Hasan İbrahim Murat Emre Burak Ömer Kerem Emir Eymen Fatma Ayşe Emine Hatice
Zeynep Elif Merve Büşra Esra Özlem Selin Derya Ebru Aylin Defne Ece Oğuz Serkan Volkan Tolga Barış Onur
Mohammed Muhammad Mohamed Mohammad Ahmed Ahmad Mahmoud Omar Umar Hassan Hussein Hussain Khalid Khaled
Abdullah Abdulrahman Youssef Yousef Yusuf Ibrahim Ismail Tariq Karim Kareem Rami Samir Sami Nabil
Walid Faisal Hamza Bilal Ziad Fadi Said Fatima Aisha Aicha Khadija Maryam Mariam Layla Leila Zainab
Zaynab Amina Amira Yasmin Yasmine Salma Huda Hanan Rania Dina Samira Nadia Farah Rasha Reem Hiba Iman
Asma Mounir Rachid Driss Youssef Hicham Nabila Souad Malika Zineb Meriem Nour Noura Lamia Ghada
Reza Mehdi Hossein Amir Arash Babak Dariush Farid Kamran Navid Parviz Saeed Shirin Parisa Neda Nasrin
Roya Soraya Azadeh Mahsa Yosef Moshe Avraham Yitzhak Yaakov Itai Eitan Ariel Tamar Noa Shira Yael Michal
Efrat Talia Ayelet Avi Yoni Gilad Oren Ronit Orly Shlomo
"""

_FIRST_SOUTH_ASIA = """
Aarav Vivaan Aditya Vihaan Arjun Reyansh Krishna Ishaan Rohan Rahul Ravi Amit Anil Sunil Sanjay Vijay
Ajay Rajesh Suresh Ramesh Mahesh Dinesh Ganesh Prakash Deepak Manoj Vikram Vikas Nikhil Akshay Abhishek
Ankit Arun Karan Kunal Pranav Siddharth Varun Harsh Gaurav Manish Naveen Pradeep Sandeep Srinivas Venkat
Venkatesh Lakshmi Priya Ananya Aadhya Diya Saanvi Isha Pooja Neha Sneha Kavya Anjali Divya Shreya
Aishwarya Deepika Sunita Anita Kavita Rekha Meena Geeta Sita Radha Lata Usha Nisha Swati Shweta Pallavi
Preeti Jyoti Sonia Priyanka Ritu Ruchi Shalini Madhuri Harpreet Gurpreet Manpreet Jaspreet Simran Navjot
Baldev Kuldeep Rupinder Tanvir Imran Irfan Farhan Salman Shahid Zubair Nadeem Asif Sohail Fahad Ayesha
Sana Hina Saima Bushra Rabia Shabnam Farzana Nusrat Rashida Tahmina Rajiv Sudhir Mukesh Naresh Girish
Kiran Padma Revathi Meenakshi Karthik Senthil Murali Balaji Arvind Anand Ashok Harish Yogesh Hemant
"""

_FIRST_EAST_ASIA = """
Wei Fang Jing Lei Jun Jie Tao Ming Hui Ying Xin Hao Qiang Hong Gang Hua Yong Xiaoming Xiaohong Xiaoyu
Jianguo Jianhua Zhiwei Zhihao Haoran Yuxuan Zihan Yichen Ruoxi Xinyi Yutong Jiahui Meiling Meilin Lili
Tingting Xiaoli Xiaoyan Qing Jian Zhiqiang Weiwei Jiayi Yifan Zhiyuan Mingyu Xiaojun Chunhua Guoqiang
Hiroshi Takashi Kenji Satoshi Akira Yuki Haruto Sota Yuto Hinata Riku Kaito Daiki Takumi Kenta Shota
Kazuki Naoki Ryota Yusuke Daisuke Koji Makoto Tetsuya Masato Sakura Yui Aoi Hina Yuna Haruka Misaki
Ayaka Yuko Keiko Tomoko Akiko Yoko Kumiko Emi Saki Nanami Miyu Kaori Noriko Megumi Shinji Kenichi
Minjun Min-jun Seo-yeon Seoyeon Ji-hoon Jihoon Ji-woo Jiwoo Hyun-woo Hyunwoo Sung-min Jae-hyun Jun-ho
Dong-hyun Young-ho Ji-yeon Ji-min Jimin Soo-jin Eun-ji Hye-jin Min-ji Seo-yun Ha-eun Subin Da-eun
Anh Binh Cuong Dung Hieu Hoang Hung Huy Khanh Minh Phong Quang Thanh Thang Trung Tuan Tung Vinh Hoa
Huong Linh Ngoc Nhung Phuong Thao Thuy Trang Uyen
"""

_FIRST_AFRICA_SEA = """
Chinedu Chukwuemeka Emeka Obinna Ikenna Nnamdi Uchenna Chidi Ngozi Chioma Adaeze Amaka Ifeoma Nneka
Oluwaseun Olumide Ayodele Babatunde Adebayo Tunde Femi Funmilayo Folake Yetunde Temitope Tolulope Kehinde
Taiwo Bukola Abimbola Kwame Kofi Kwaku Kwabena Akosua Abena Adjoa Efua Amara Zuri Jabari Juma Baraka
Wanjiru Wambui Njeri Thabo Sipho Themba Lerato Thandiwe Nomvula Zanele Lindiwe Bongani Tendai Tatenda
Chipo Nyasha Tariro Abebe Tesfaye Dawit Selam Meron Tigist Almaz Aminata Fatou Moussa Mamadou Ousmane
Aliou Cheikh Ibrahima Mariama Kadiatou Seydou Boubacar Adama Oumar Issa
Rommel Jericho Jhon Kristine Maricel Rowena Analyn Jocelyn Rizal Budi Agus Bambang Hendra Rudi Wahyu
Dewi Putri Ayu Siti Indah Fitri Rina Aziz Hafiz Nurul Aisyah Azlan Faizal Ketut Wayan Made Nyoman
"""

_FIRST_MORE = """
Miriam Grace Abigail Adele Adeline Agatha Aileen Alana Alexandra Alicia Alyssa Annabel Annabelle Antonia
Arabella Ariana Astrid Beatrix Belinda Bernadette Bianca Bridget Brigid Camilla Candice Carla Carmen
Caroline Cassandra Cecilia Celeste Celia Clarissa Constance Cordelia Daisy Daphne Deirdre Delia Dolly
Dora Edna Eileen Elaine Eleanora Elise Eloise Elsie Esme Estelle Esther Eugenie Eunice Felicity Flora
Frederica Gabriella Genevieve Georgina Geraldine Gillian Gwendolyn Harriet Heidi Helena Henrietta Hilary
Ingrid Irene Isadora Isobel Jacinta Janine Jemima Jillian Joanna Jocelyn Josephine Judith Juliet Justine
Katrina Leonora Letitia Lilian Lorna Louisa Lucinda Lydia Mabel Madeleine Marcia Margery Marian Marianne
Marguerite Marina Marjorie Martha Maureen Maxine Melody Mildred Miranda Moira Muriel Nadia Nell Nicola
Noreen Odette Olive Ophelia Pamela Patience Pauline Philippa Priscilla Rebekah Rhoda Rosalie Rosamund
Rowena Sabrina Selina Seraphina Sheila Sibyl Sylvia Tabitha Tamsin Thea Theodora Tilly Una Ursula Valerie
Vera Veronica Vivian Vivienne Wilhelmina Winona Yolanda Yvette Zara Zelda
Abraham Alasdair Albert Alfred Algernon Ambrose Amos Angus Archibald Augustus Barnaby Bartholomew Basil
Bernard Bertram Cecil Clarence Clement Cornelius Cuthbert Cyril Desmond Edgar Edmund Edwin Elliot Ernest
Ezra Ferdinand Fergus Francis Frederick Gideon Gilbert Godfrey Gordon Harvey Herbert Horace Howard Humphrey
Isaac Ivor Jasper Jeremiah Jethro Julius Lionel Llewellyn Lucian Magnus Maurice Montgomery Mortimer Nathaniel
Neville Norman Percival Percy Quentin Reginald Rodney Roland Rufus Rupert Silas Solomon Stanley Theodore
Tobias Ulysses Vernon Wilfred Winston Xavier Zachariah
Adrian Benedikt Bastian Cornelius Detlef Egon Elmar Ewald Gerd Gregor Hannes Helmut Hubert Ingo Jochen
Kilian Knut Korbinian Leopold Marius Mirko Nico Oskar Patrick Quirin Raphael Severin Thilo Valentin Vinzenz
Adelheid Alma Almut Anneliese Antonia Berta Carla Dagmar Edeltraud Elfriede Emilia Hedwig Henrike Irmgard
Jette Juliane Klara Liselotte Luise Margarete Margit Marianne Mechthild Nele Ottilie Rosemarie Roswitha
Sieglinde Swantje Tabea Theresia Traudl Undine Wilhelmine
Adèle Albane Apolline Armelle Bérénice Blanche Brigitte Clotilde Constance Éléonore Eugénie Félicie Gisèle
Hortense Irène Jacqueline Josette Lucienne Madeleine Marcelle Mireille Nadine Ophélie Paulette Raymonde
Renée Simone Sylvette Yvette Yvonne Adrien Alexis Amaury Anatole Aristide Augustin Aurélien Bastien Benoît
Cyprien Damien Edmond Étienne Évariste Fabien Félix Gaspard Gaëtan Gautier Hippolyte Honoré Ignace Jacques
Joël Léon Lucien Marius Octave Pascal Philémon Rodolphe Sylvain Tanguy Timothée Tristan Valentin Victorien
Adela Agustina Amalia Amparo Anabel Angustias Asunción Aurora Blanca Candela Casilda Cayetana Chelo Eloísa
Encarnación Estefanía Eulalia Eva Fuensanta Itziar Jacinta Leocadia Lourdes Luisa Macarena Mercè Milagros
Nerea Olga Reyes Rosalía Tamara Visitación Zaida Abel Adolfo Amador Anselmo Arturo Baltasar Benito Bernardo
Borja Casimiro Ceferino Cipriano Clemente Cristian Dámaso Dionisio Eladio Eloy Eusebio Fabián Faustino
Federico Fermín Gaspar Gerardo Gregorio Hilario Hugo Isidro Jacinto Jaime Julián Lorenzo Marcelino Mariano
Maximiliano Nicanor Octavio Patricio Plácido Prudencio Quique Remedios Severiano Teodoro Tiburcio Valentín
Adriana Agnese Alba Ambra Anita Benedetta Bianca Camilla Carlotta Cecilia Clelia Cristina Costanza Debora
Elena Eleonora Emanuela Fiorella Gaia Gemma Ginevra Gloria Irene Letizia Lucrezia Ludovica Marta Matilde
Michela Nadia Ottavia Rachele Rebecca Sabrina Sofia Teresa Viola Vittoria Achille Adriano Amedeo Arturo
Beppe Cesare Corrado Cosimo Elio Ettore Ezio Flavio Gino Guido Ignazio Jacopo Leonardo Livio Manlio Marcello
Nello Orazio Ottavio Piero Remo Rocco Romeo Ruggero Sergio Silvio Tancredi Tullio Ugo Valerio Vittorio
Lieve Margriet Mieke Nienke Rianne Sietske Willemijn Wilhelmina Arend Boudewijn Diederik Evert Folkert
Geert Hein Jurgen Lodewijk Reinier Roelof Siebe Ties Wim Ylva Ingela Ragnar Sixten Torsten Viggo Gösta
Halina Irena Jolanta Ludmila Milena Renata Stanisława Teodora Wanda Bogdan Bolesław Czesław Kazimierz
Leszek Mieczysław Radosław Ryszard Sławomir Wiesław Zdzisław Ulrika Ulrike Annelies Liesbeth Gertrude
Oluwadamilare Chiamaka Chidinma Ebere Obiageli Olamide Seun Uchechi Adwoa Afua Akua Esi Kojo Kwesi Yaa
Aditi Anushka Bhavna Chitra Gayatri Ishita Jaya Kajal Lalita Malini Nandini Parvati Rani Savita Tanvi
Vidya Yamini Abhinav Ashwin Bharat Chetan Dev Gopal Hari Jatin Kartik Lokesh Mohan Nitin Om Pankaj Raghav
Sachin Tarun Uday Vinay Yash
"""

# Given names that are also ordinary words, months, places or brands in some language. They count as a
# name only with a surname after them or a context (title, greeting, "my name is", a sign-off).
AMBIGUOUS_FIRST = _words("""
Will Mark Bill May June April August Grace Hope Faith Joy Rose Lily Iris Jade Amber Ruby Summer Autumn
Dawn Sky River Paris Sydney Victoria Florence Georgia Virginia Carolina Chelsea Jordan Austin Dallas
Houston Phoenix China India Eden Gene Pat Sue Guy Rich Frank Don Ray Art Chase Hunter Mason Cooper
Carter Parker Tucker Baker Miller Ben Jan Tim Tom Max Kim Lee Long Li Na Min Yu He Ma Song Mai Lan Van
Nam Son Thu An Ha Bo Ren Rin Mei Nur Sri Sai Raj Can Cem Ali Ana Eva Ida Elsa Liv Saga Signe Ole Per Tor
Ola Ane Aino Ama Awa Ba Duc Sun Le Do Vo Vu Ho Ngo Hugo Leo Otto Angel Gabriel Jesus Jesús Christian
Dolores Mercedes Rosa Pilar Consuelo Esperanza Luz Sol Paz Rocío Nieves Milagros Domingo Santiago
Salvador Amparo Sunny Happy Precious Blessing Patience Prudence Charity Mercy Gift Lucky Oscar Dean Jack
Cliff Wade Drew Glen Dale Lane Reed Wood Stone Hill Field Hazel Ivy Violet Jasmine Destiny Raven Floor
Milan Stella Aurora Morgan Harper Brooke Franco Bruno Linde Saar Made Charlotte Sofia Madison Adelaide
Regina Lorraine Alexandria Savannah Orlando Lincoln Kent Devon Cameron Jersey Troy Mercy Summer Royal
Earl Duke King Prince Princess Baron Bishop Major Marshal Sterling Penny Crystal Diamond Pearl Ginger
Honey Candy Brandy Misty Stormy Rain Snow Storm Star Angel Nova Luna Venus Apollo Atlas Echo Hero
""")


# Surnames. Multi-word surnames ("van der Berg", "de la Cruz") are matched through the particles below.
_SURNAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
Anderson Taylor Moore Jackson Thompson Harris Sanchez Clark Ramirez Lewis Robinson Walker Allen Wright
Scott Torres Nguyen Flores Adams Nelson Hall Rivera Campbell Mitchell Roberts Gomez Phillips Evans
Turner Diaz Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Cooper
Peterson Bailey Reed Howard Ramos Cox Ward Richardson Watson Brooks Chavez Bennett Gray Mendoza Ruiz
Hughes Alvarez Castillo Sanders Patel Myers Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan
Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Patterson Hamilton Graham
Reynolds Griffin Wallace Moreno Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens
Murray Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Chen
Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Gordon Mendez Silva Shaw Snyder Dixon
Munoz Hicks Holmes Palmer Wagner Robertson Boyd Salazar Warren Mills Meyer Schmidt Garza Daniels
Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll
Riley Andrews Alvarado Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis
Carpenter Lawrence Sandoval Guerrero Chapman Rios Estrada Ortega Watkins Greene Nunez Wheeler Valdez
Harper Burke Larson Maldonado Morrison Franklin Carlson Dominguez Carr Lawson Jacobs O'Brien Lynch
Singh Vega Bishop Montgomery Harvey Williamson Gilbert Sims Espinoza Howell Wong Reid Hanson McCoy
Garrett Burton Fuller Wang Weber Welch Rojas Marquez Fields Yang Banks Padilla Walsh Bowman Schultz Luna
Fowler Mejia Davidson Acosta Brewer Holland Juarez Newman Pearson Curtis Cortez Douglas Schneider Barrett
Navarro Figueroa Keller Avila Molina Stanley Hopkins Campos Barnett Bates Chambers Caldwell Lambert
Miranda Byrd Craig Ayala Lowe Frazier Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton
Schwartz Norris Jennings Watts Duran Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt Barker
Haynes Horton Lyons Pham Graves Thornton Wolfe Warner Cabrera McKinney Zimmerman Dawson Lara Fletcher
McCarthy Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Velasquez Hardy
Higgins Aguirre Cummings Chandler Barber Bowen Ochoa Robbins Liu Ramsey Griffith Blair O'Connor Cardenas
Pacheco Calderon Quinn Swanson Rivas Khan Rodgers Serrano Fitzgerald Rosales Stevenson Christensen
Manning McLaughlin Harmon McGee Doyle Garner Newton Burgess Reese Walton Trujillo Adkins Brady Goodman
Webster Goodwin Fischer Huang Potter Montoya Hines Mullins Castaneda Malone Cannon Sherman Hubbard
Hodges Zhang Guerra Valencia Saunders Franco Gallagher Hammond Hampton Townsend Ingram Gallegos Clarke
Barton Schroeder Maxwell Camacho Strickland Parsons Harrington Glover Osborne Buchanan Patton Ibarra
Suarez Orozco Salas Gibbs Andrade Bauer Conner Moody Escobar McGuire Lloyd Mueller Hartman Kramer McBride
McCormick Flynn Yates Hogan Macias Villanueva Zamora Pratt Stokes Ballard Brock Villarreal Barrera
Pineda Burnett Mercado Santana Shepherd Bautista Shaffer Trevino McKenzie Hess Olsen Cochran Morton
Wilkins Petersen Briggs Shah Nicholson Holloway Lozano Rangel Hoover Arias Mora Valenzuela Meyers
Weiss Underwood Greer Carson Morrow Clayton Whitaker Decker Yoder Collier Zuniga Wilcox Melendez Poole
Roberson Larsen Conley Davenport Copeland Massey Rocha Cameron Jefferson Pittman Huynh Randall Singleton
Mathis Skinner Bradford Galvan Boone Kirby Wilkinson Atkinson Velez Meza Hodge Abbott Allison Tapia
Sosa Sweeney Farrell Wyatt Dalton Barron Phelps Dickerson Heath Foley Atkins Mathews Bonilla Acevedo
Benitez Zavala Hensley Cisneros Harrell Shields Rubio Huffman Choi Boyer Garrison Arroyo Hancock Callahan
Dillon Cline Wiggins Grimes Arellano Melton O'Neill Beltran Pitts Parrish Ponce Koch Brennan McDowell
Cantu Humphrey Baxter Sawyer Hutchinson Kaur Wiley Gilmore Russo Villegas Hobbs Wilkerson Ahmed McClain
Montes Rosario Henson O'Neal Mosley McClure Beasley Stephenson Huerta Preston Vance Blackwell Dyer
MacDonald Guevara Stafford Hurst Woodard Cortes Kemp Nolan McCullough Merritt Murillo Salgado Kline
Cordova Barajas Rosas Jacobson Lester Bullock Kerr Leach Davila Whitehead Pruitt Conway McKee Dejesus
Berger McIntyre Blankenship Palacios Cuevas Bartlett Durham Dorsey McCall O'Donnell Browning Lowery
Sloan McLean Hendricks Calhoun Sexton Chung Gentry Ellison Nielsen Gillespie Middleton Sellers Leblanc
Esparza Hardin Bradshaw McIntosh Howe Livingston Stark Bravo Spears Corona Buckley McFarland Hebert
Enriquez Hickman Quintero Randolph Schaefer Trejo Reilly Pennington Crosby Fitzpatrick Donovan Mahoney
Medrano Hahn McMillan Bentley Lucero Boyle Hanna Hurley Harding McConnell Bernal Nava Ayers Everett
Pugh Mayer Bender Shepard McMahon Landry Sampson Blackburn Dunlap Gould Duffy Vaughan Herring McKay
Espinosa Farley Friedman Truong Costa Correa Blevins Nixon Clements Delarosa Benton Lugo Portillo
Dougherty Crane Phan Villalobos Blanchard Horne Finley Quintana Esquivel Dodson Mullen Xiong Hayden Cano
Levy Huber Richmond Moyer Frye Sheppard McCarty Avalos Booker Waller Parra Woodward Jaramillo Krueger
Rasmussen Brandt Peralta Donaldson Faulkner Maynard Galindo Coffey Estes Sanford Burch Maddox O'Connell
Andersen Spence McPherson Schmitt Stanton Leal Compton Dudley Sierra Pollard Alfaro Hester Proctor
Hinton Novak Madden McCann Terrell Jarvis Dickson Reyna Cantrell Hendrix Rollins Rowland Whitney Odom
Daugherty Tang Kowalski Ashworth Pemberton Whitfield Fairbanks Kensington Ramsbottom Oakley Hargreaves
Müller Schneider Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Richter Schröder Neumann Zimmermann
Krüger Hofmann Hartmann Lange Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann Mayer
Kaiser Scholz Möller Schubert Günther Winkler Lorenz Baumann Franke Albrecht Schuster Böhm Kraus
Schumacher Krämer Vogt Jäger Seidel Brandt Haas Schreiber Schulte Dietrich Ziegler Kühn Pohl Bergmann
Voigt Sauer Wolff Pfeiffer Hübner Kessler Schlegel Ebert Thiele Hoppe Wendt Lindner Gebhardt Eckert
Dubois Durand Leroy Moreau Lefebvre Bertrand Roux Fournier Morel Girard Lefèvre Mercier Dupont Bonnet
Legrand Garnier Faure Rousseau Guérin Roussel Perrin Morin Clément Gauthier Dumont Fontaine Chevalier
Masson Boyer Lemaire Duval Joly Gautier Roche Meunier Marchand Dufour Barbier Dumas Brunet Leroux
Renard Arnaud Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard
Leclercq Lacroix Fabre Dupuis Guillot Rivière Lecomte Ménard Menard Fleury Deschamps Carpentier Maillard
Marchal Aubry Vasseur Renault Jacquet Collet Prévost Poirier Charpentier Royer Huet Dupuy Laine
Carré Perrot Guyot Marty Beaumont Delacroix Lévêque Courtois Lemaitre Tessier Chauvin
García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Jiménez Hernández Díaz Muñoz
Álvarez Alonso Gutiérrez Domínguez Vázquez Ramírez Suárez Castro Rubio Marín Sanz Núñez Iglesias
Garrido Cortés Lozano Cano Prieto Méndez Calvo Gallego Márquez Peña Cabrera Carrasco Caballero Nieto
Pascual Herrero Montero Lorenzo Hidalgo Giménez Ibáñez Ferrer Durán Benítez Carmona Crespo Román Pastor
Sáez Velasco Moya Soler Esteban Gallardo Puig Pujol Vila Roca Serra Casas Bosch Riera Camps Pons Guzmán
Mejía Cárdenas Quispe Mamani Huamán Chávez Zapata Villalba Echeverría Etxeberria Aguirre Goikoetxea
Rossi Esposito Bianchi Romano Colombo Ricci Marino Greco Gallo Conti Mancini Giordano Rizzo Lombardi
Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile
Martinelli Vitale Lombardo Coppola Marchetti Parisi Ferraro Ferri Fabbri Marini Grasso Valentini Messina
Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti Cattaneo Morelli Amato Silvestri Mazza Testa Grassi
Pellegrino Carbone Giuliani Benedetti Barone Rossetti Caputo Montanari Palmieri Bernardi Fiore Ferretti
Bellini Basile Riva Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano Ruggiero
Sorrentino D'Angelo D'Amico Orlando Negri Esposito Ferrari Russo Bruno Castelli Mazzoni Bonetti Moroni
Jong Jansen Vries Berg Dijk Bakker Janssen Visser Smit Meijer Boer Mulder Groot Bos Vos Hendriks Leeuwen
Dekker Brouwer Wit Dijkstra Smits Graaf Meer Linden Kok Haan Vermeulen Heuvel Veen Broek Bruijn Bruin
Heijden Schouten Beek Willems Vliet Ven Hoekstra Maas Verhoeven Koster Dam Wal Prins Blom Huisman Peeters
Postma Kuipers Veenstra Bosch Vink Wouters Timmermans Jonker Sluis Hoek Kuiper Verbeek Scholten Zwart
Silva Santos Ferreira Pereira Oliveira Rodrigues Martins Sousa Fernandes Gonçalves Gomes Lopes Marques
Alves Almeida Ribeiro Pinto Carvalho Teixeira Moreira Correia Mendes Nunes Soares Vieira Monteiro
Cardoso Rocha Raposo Neves Coelho Cunha Pires Reis Simões Antunes Matos Fonseca Machado Araújo Barbosa
Tavares Lourenço Figueiredo Azevedo Freitas Lima Nascimento Barros Moura Cavalcanti Dias Magalhães
Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski
Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski Pawłowski Michalski
Nowicki Adamczyk Dudek Zając Wieczorek Jabłoński Król Majewski Olszewski Jaworski Wróbel Malinowski
Pawlak Witkowski Walczak Stępień Górski Rutkowski Michalak Sikora Ostrowski Baran Duda Szewczyk
Tomaszewski Pietrzak Marciniak Wróblewski Zalewski Jakubowski Jasiński Zawadzki Sadowski Chmielewski
Włodarczyk Borkowski Czarnecki Sawicki Sokołowski Kowalska Nowakowska Wiśniewska Kamińska Lewandowska
Svoboda Novotný Dvořák Černý Procházka Kučera Veselý Horák Němec Pokorný Pospíšil Hájek Jelínek Král
Růžička Beneš Fiala Sedláček Doležal Zeman Kolář Navrátil Čermák Nagy Kovács Tóth Szabó Horváth Varga
Kiss Molnár Németh Farkas Balogh Papp Takács Juhász Lakatos Mészáros Oláh Rácz Fekete Popescu Ionescu
Popa Radu Dumitru Stoica Gheorghe Ciobanu Rusu Munteanu Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov
Sokolov Mikhailov Novikov Fedorov Morozov Volkov Alekseev Lebedev Semenov Egorov Pavlov Kozlov Stepanov
Nikolaev Orlov Andreev Makarov Nikitin Zakharov Zaitsev Solovyov Borisov Yakovlev Grigoriev Romanov
Ivanova Petrova Smirnova Kuznetsova Popova Volkova Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko
Kovalchuk Oliynyk Shevchuk Polishchuk Melnyk Boyko Lysenko Rudenko Savchenko Petrenko Jovanović Petrović
Nikolić Marković Đorđević Stojanović Ilić Stanković Pavlović Milošević Horvat Kovačević Babić Marić
Jurić Knežević Vuković Papadopoulos Papadakis Georgiou Oikonomou Nikolaidis Karagiannis Vlachos
Papanikolaou Dimitriou Konstantinidis Papageorgiou Ioannou Christodoulou Antoniou Makris Pappas
Alexiou Athanasiou Angelopoulos Papadimitriou
Иванов Петров Смирнов Кузнецов Попов Соколов Васильев Иванова Петрова Смирнова Шевченко Коваленко
Παπαδόπουλος Παπαδοπούλου Γεωργίου Νικολάου Οικονόμου
Yılmaz Yilmaz Kaya Demir Şahin Sahin Çelik Celik Yıldız Yildiz Yıldırım Öztürk Ozturk Aydın Aydin Özdemir
Arslan Doğan Dogan Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Korkmaz Erdoğan Güler Aktaş
Karaca Al-Sayed Khalil Haddad Khoury Nasser Saleh Salem Hamdan Mansour Farouk Rahman Rahim Qureshi
Siddiqui Chaudhry Chaudhary Hashmi Rizvi Jafari Hosseini Mohammadi Ahmadi Rezaei Moradi Karimi Hashemi
Ghorbani Sadeghi Rahimi Kazemi Tehrani Benali Bouazza Amrani Alaoui Idrissi Tazi Bennani El-Amin
Levi Mizrahi Peretz Biton Dahan Azoulay Katz Goldberg Shapiro Rosenberg Ben-David Ohana Gabay Friedmann
Sharma Verma Gupta Kumar Mehta Joshi Desai Reddy Rao Naidu Iyer Iyengar Nair Menon Pillai Krishnan
Subramanian Raman Chatterjee Banerjee Mukherjee Bose Dutta Ghosh Chakraborty Bhattacharya Mishra Pandey
Tiwari Dubey Srivastava Saxena Agarwal Aggarwal Bansal Goel Malhotra Kapoor Khanna Chopra Bhatia
Sethi Arora Ahuja Grewal Sandhu Dhillon Sidhu Bajwa Chauhan Yadav Thakur Rajput Rathore Kulkarni
Deshpande Patil Pawar Jadhav Shinde Gowda Hegde Shetty Kamath Prasad Sinha Tripathi Shukla Hussain
Ansari Shaikh Pathan Venkataraman Ramachandran Balasubramanian Natarajan Raghavan Srinivasan
Zhao Zhou Xu Sun Zhu Guo Gao Luo Zheng Liang Xie Tang Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Jiang Cai
Du Ye Cheng Wei Su Ding Ren Shen Yao Cui Zhong Tan Fan Cheung Chan Leung Lau Ng Chow Yip Tsang Lam Kwok
Chiu Tse Fung Yeung Sato Satō Suzuki Takahashi Tanaka Watanabe Ito Itō Yamamoto Nakamura Kobayashi Kato
Katō Yoshida Yamada Sasaki Yamaguchi Saito Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda
Hashimoto Yamashita Ishikawa Nakajima Maeda Fujita Ogawa Goto Okada Hasegawa Murakami Kondo Ishii
Sakamoto Endo Aoki Fujii Nishimura Fukuda Ota Miura Fujiwara Okamoto Matsuda Nakagawa Nakano Harada
Tamura Takeuchi Kaneko Wada Nakayama Ishida Ueda Morita Shibata Sakai Kudo Yokoyama Miyazaki Miyamoto
Uchida Takagi Ando Taniguchi Ohno Maruyama Imai Takada Fujimoto Takeda Murata Ueno Sugiyama Masuda
Sugawara Hirano Otsuka Chiba Kubo Matsui Iwasaki Sakurai Kinoshita Noguchi Matsuo Nomura Kikuchi Sano
Onishi Sugimoto Arai Kim Park Choi Jung Jeong Kang Cho Yoon Yun Jang Lim Seo Shin Kwon Hwang Ahn Yoo
Jeon Baek Heo Nguyễn Trần Lê Phạm Hoàng Huỳnh Vũ Võ Dang Đặng Bui Bùi Đỗ Hồ Ngô Duong Dương Lý
Okafor Okonkwo Okeke Nwosu Eze Obi Adeyemi Ogunleye Olawale Balogun Afolabi Oyelaran Bello Abubakar
Usman Mensah Asante Owusu Boateng Osei Appiah Agyeman Kamau Mwangi Otieno Ochieng Njoroge Kariuki
Wanjiku Mutua Kiptoo Chebet Dlamini Nkosi Ndlovu Khumalo Mokoena Mahlangu Sithole Mthembu Tshabalala
Moyo Ncube Banda Phiri Mwale Tembo Diallo Traoré Diop Ndiaye Sow Camara Keita Touré Coulibaly Sylla
Kone Koné Bekele Tadesse Girma Alemu Getachew Mekonnen Andersson Johansson Karlsson Nilsson Eriksson
Larsson Olsson Persson Svensson Gustafsson Pettersson Jonsson Jansson Hansson Bengtsson Jönsson
Lindberg Jakobsson Magnusson Lindström Lindqvist Lindgren Berglund Axelsson Lundberg Lundgren Mattsson
Jensen Pedersen Sørensen Jørgensen Madsen Kristensen Thomsen Christiansen Poulsen Johansen Møller
Mortensen Johnsen Haugen Hagen Bakken Berntsen Solberg Korhonen Virtanen Mäkinen Nieminen Mäkelä
Hämäläinen Heikkinen Koskinen Järvinen Lehtonen Lehtinen Saarinen Salminen Heinonen Niemi Heikkilä
Kinnunen Salonen Turunen Laitinen Tuominen Rantanen Karjalainen Jokinen Mattila Savolainen Lahtinen
Ahonen Jónsson Sigurðsson Guðmundsson Santoso Wijaya Gunawan Halim Setiawan Susanto Kusuma Hidayat
Saputra Pratama Nugroho Siregar Harahap Nasution Lubis Hashim Yusof Osman Othman Ong Goh Chua Teo Koh
Ocampo Andrada Aquino Dimaculangan Macapagal Magsaysay Villanueva
"""

# Surnames that are also ordinary capitalized words; they never start a name on their own.
AMBIGUOUS_SURNAMES = _words("""
Brown White Black Green Young King Long Hill Wood Stone Price Bell Rose Gray Grey Little Fox Rice Hunt
Cross Page Lane Park Day May Love Good Best Strong Small Short House Church Branch Case Glass Snow Frost
Winter Winters Summers Moon Mann Hale Hall Wall Marsh Rush Beck Wolf Sommer Horn Busch Engel Jung Lang
König Klein Braun Schwarz Weiß Koch Bauer Vogel Fischer Graf Hahn Kurt Kara Ford Bush Miles Mills Banks
Fields Woods Waters Powers Rivers Sparks Flowers Hood Ball Cole Dean Lamb Fry Bean Golden Moss Bond
Marks Sharp Cook Mason Carter Parker Baker Cooper Hunter Tucker Turner Porter Walker Miller Taylor
Weaver Fisher Butler Page Pope Prince Knight Bishop Chase Grant Hope Joy Wise Rich Nash Pace Pitts
Sims Holmes Gross Noble Guy Paul Martin Thomas James Lewis Allen Jordan Henry Simon Lucas Vincent Louis
Charles George Robert Richard Bernard Roy Ray Jean Pierre Marie Michel Laurent Denis Roger David Adam
Dupont Petit Blanc Brun Leroy Roux Bruno Costa Serra Riva Conti Gallo Greco Leone Fiore Monti Testa
Moreno Blanco Rubio Castillo Delgado Santos Cruz Reyes Flores Campos Vega Leon León Luna Mora Franco
Rosa Rosario Paz Sol Lima Pinto Rocha Reis Dias Mendes Neves Nunes Ramos Santana Vidal Gil Mas Roca
Font Vila Pons Bosch Berg Bos Vos Dam Ven Groot Wit Zwart Hoek Meer Veen Heuvel Dijk Prins Kok Smit
Lee Kim Park Lim Han Oh Seo Shin Song Ho Ma Li Lu Yu Ye He Du Su Xu Tang Fan Pan Ding Ren Tan Ng Lam
Ong Goh Teo Koh Chan Chen Wang Yang Sun Long Tian Dong Liang Cao Mori Ota Ono Abe Kato Ito Sato
Kaya Demir Aslan Can Polat Koç Salem Said Khan Shah Singh Kaur Rao Das Sen Bose Nair Roy Anand Kumar
Patel Ali Hassan Obi Ba Sow Ndiaye Banda Moyo Sylla Kone Ochoa
""")

# Connecting particles inside multi-part names ("van der Berg", "de la Cruz", "bin Salman").
PARTICLES = _words("""
van von der den de del della delle dei degli di da das dos do du la le les los las bin ibn bint al el
ter ten zu zum zur y e af av ben
""")

# Honorifics that announce a name; the name follows, the title itself is not redacted.
TITLES = _words("""
Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Lady Lord Herr Frau Hr Mme Mlle Monsieur Madame
Mademoiselle Sr Sra Srta Señor Señora Señorita Doña Dona Sig Signor Signora Signorina Dott Dottor
Dottore Dottoressa Ing Avv Dhr Mevr Mevrouw Meneer Pan Pani Senhor Senhora Rev Fr Capt Sgt Lt Col
Judge Officer Detective Nurse Agent Pastor Rabbi Imam Sheikh Uncle Aunt Auntie Tante Onkel Tío Tía
Mister Missus Dott.ssa Sig.ra Sig.na Prof.ssa Gent.mo Gent.ma Egr Egr.
""")

# Words after a given name that make the pair a company or a place, not a person ("Wayne Enterprises").
COMPANY_WORDS = _words("""
Inc Ltd Llc LLC GmbH AG SA SAS SARL SpA Srl SRL BV NV Corp Corporation Company Co Group Holdings Bank
Enterprises Industries Traders Toys Labs Systems Solutions Technologies Technology Partners Consulting
Capital Ventures Media Studios Studio Airlines Airways Motors Foods Pharma Pharmaceuticals Insurance
Logistics Software Networks Energy Electric Brands Retail Stores Post Express Hotel Hotels Resort
Restaurant Cafe Café Bar Pizza Burger Coffee Bakery Market Supermarket Mall Foundation Trust Fund Street
Road Avenue Square Park Station Airport Bridge River Lake Mountain Valley Island Beach Bay Hall Center
Centre University College School Hospital Clinic Church Cathedral Museum Theatre Theater Stadium Arena
""")

# Capitalized words that are not names although they can stand next to one (sentence starts, nouns,
# days, months, company suffixes, street words, generic addressees). A name never extends over them.
NON_NAME_WORDS = _words("""
The This That These Those There Then They Them Their We You Your Yours Our Ours My Mine His Her Hers Its
It If In On At For From With Without And But Or Not No Yes Please Thanks Thank Hi Hello Hey Dear
Regards Best Kind Kindly Sincerely Cheers Warm Warmest Yours Many Much More Most Some Any All Every
Each Both Either Neither One Two Three Four Five Six Seven Eight Nine Ten First Second Third Last Next
New Old Good Great Happy Sorry Ok Okay Sure Also Again Still Just Only Even However Therefore Meanwhile
Today Tomorrow Yesterday Tonight Now Soon Later Before After During Since Until While When Where Why
What Who Whom Whose Which How Here Let Lets Can Could Would Should Will Shall May Might Must Did Does Do
Done Is Are Was Were Be Been Being Have Has Had Get Got Make Made Take Took See Saw Look Find Found Call
Called Send Sent Sign Signed Note Notes Update Updated Attached Attachment Subject Re Fwd Fw Cc Bcc To
Team Support Customer Customers Client Clients Service Services Sales Marketing Billing Account Accounts
Order Orders Invoice Invoices Ticket Tickets Case Item Items Product Products Price Prices Total Payment
Refund Delivery Shipping Package Parcel Tracking Return Returns Store Shop Office Department Manager
Director Admin Administrator Staff Everyone Everybody All Folks Guys Colleagues Friends Friend Sir
Madam Madame Team Members Member Users User Agent Operator Desk Helpdesk Center Centre Hotline Reception
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun
January February March April May June July August September October November December Jan Feb Mar Apr
Jun Jul Aug Sep Sept Oct Nov Dec Q1 Q2 Q3 Q4 Spring Summer Autumn Fall Winter Christmas Easter Weekend
Inc Ltd Llc LLC GmbH AG SA SAS SARL SpA Srl SRL BV NV Corp Corporation Company Co Group Holdings Bank
Enterprises Industries Traders Toys Labs Systems Solutions Technologies Technology Partners Consulting
Capital Ventures Media Studios Studio Airlines Airways Motors Foods Pharma Pharmaceuticals Insurance
Logistics Software Networks Energy Electric Brands Retail Stores Post Express Hotel Hotels Resort
Restaurant Cafe Café Bar Pizza Burger Coffee Bakery Market Supermarket Mall Foundation Trust Fund
University College School Hospital Clinic Institute Foundation Association Council Ministry Agency
Street St Road Rd Avenue Ave Lane Boulevard Blvd Drive Court Place Square Way Terrace Close Crescent
Highway Park Station Airport Terminal Gate Platform Hall Building Floor Room Suite Apartment Unit Flat
North South East West Northern Southern Eastern Western Central Upper Lower Greater
Mobile Phone Email Mail Address Website Web Internet Online Offline App Apps Android Windows Linux
Mac Apple Google Microsoft Amazon Facebook Meta Twitter Instagram LinkedIn GitHub Slack Zoom Teams
Excel Word PowerPoint Outlook Gmail Chrome Firefox Safari Edge Office Cloud Pro Max Plus Ultra Mini
Lite Premium Basic Standard Enterprise Business Personal Home Edition Version Release Beta Alpha Model
Series Type Size Color Colour Black White Red Blue Green Yellow Grey Gray Silver Gold Pink Purple
Error Warning Issue Issues Problem Bug Bugs Fix Feature Request Question Answer Info Information
Details Detail Summary Status Priority High Low Medium Urgent Critical Normal Resolved Closed Open
Pending Approved Rejected Confirmed Cancelled Canceled Delivered Shipped Paid Unpaid Due Overdue
Name Names Date Time Phone Number Code Id ID Reference Ref Amount Balance Credit Debit Card Cards
Visa Mastercard Amex PayPal Stripe Euro Euros Dollar Dollars Pound Pounds USD EUR GBP CHF
English German French Spanish Italian Dutch Portuguese Polish Chinese Japanese Korean Arabic Hindi
Europe European America American Americans Asia Asian Africa African Australia Australian Canada
Canadian Germany France Spain Italy Netherlands Belgium Portugal Poland Sweden Norway Denmark Finland
Ireland Scotland Wales England Britain British Brazil Mexico Argentina Chile Colombia Peru Japan Korea
Vietnam Thailand Indonesia Philippines Malaysia Singapore Nigeria Kenya Ghana Egypt Morocco Turkey
Israel Iran Pakistan Russia Ukraine Greece Austria Switzerland Swiss Czech Hungary Romania Serbia
London Berlin Madrid Rome Amsterdam Lisbon Vienna Brussels Munich Hamburg Frankfurt Cologne Milan
Barcelona Valencia Seville Lyon Marseille Toulouse Nice Porto Warsaw Prague Budapest Dublin Edinburgh
Manchester Birmingham Leeds Glasgow Bristol Liverpool Oxford Cambridge Boston Chicago Seattle Denver
Atlanta Miami Toronto Vancouver Montreal Tokyo Osaka Seoul Beijing Shanghai Delhi Mumbai Bangalore
Lagos Nairobi Cairo Dubai Istanbul Moscow Kyiv Athens Stockholm Oslo Copenhagen Helsinki Zurich Geneva
Utrecht Rotterdam Antwerp Ghent Lille Bordeaux Nantes Naples Turin Florence Venice Bologna Genoa
Sehr Geehrte Geehrter Liebe Lieber Hallo Grüße Gruß Danke Bitte Herzliche Freundlichen Mit Und Oder
Der Die Das Den Dem Des Ein Eine Einen Ich Sie Wir Ihr Er Es Bei Von Vom Zum Zur Auf Aus Nach Für
Termin Rechnung Bestellung Kunde Kunden Vertrag Problem Frage Antwort Konto Adresse Nummer Telefon
Datum Zahlung Lieferung Paket Hilfe Firma Projekt Woche Monat Jahr Tag Zeit Stadt Straße Anfrage
Bonjour Bonsoir Salut Merci Cordialement Madame Monsieur Mesdames Messieurs Le La Les Un Une Des Du
Je Tu Il Elle Nous Vous Ils Elles Mon Ma Mes Votre Vos Notre Nos Pour Avec Sans Dans Sur Chez Bien
Hola Gracias Saludos Buenos Buenas Estimado Estimada Querido Querida El Los Las Una Yo Usted Nosotros
Para Con Sin En Por Muy Atentamente Señores Cliente Pedido Factura Cuenta
Ciao Grazie Cordiali Saluti Buongiorno Buonasera Gentile Caro Cara Il Lo Gli Io Noi Voi Loro Per Con
Hoi Hallo Beste Groeten Bedankt Dank Het Een Ik Jij Wij Jullie Zij Met Voor Van Mijn Uw Onze
Olá Obrigado Obrigada Atenciosamente Prezado Prezada Caro Cara Eu Você Nós Com Sem Para
Hej Tack Moi Kiitos Ahoj Dzień Dobry Witam Dziękuję Pozdrawiam
Product Team Support Admin Root System Server Database Cluster Node Service Api API Sdk SDK Cli CLI
""")


FIRST_NAMES: frozenset[str] = _with_ascii_folds(
    _words(_FIRST_EN)
    | _words(_FIRST_DE)
    | _words(_FIRST_FR)
    | _words(_FIRST_ES_PT)
    | _words(_FIRST_IT)
    | _words(_FIRST_NL_NORDIC)
    | _words(_FIRST_CEE)
    | _words(_FIRST_MENA_TR)
    | _words(_FIRST_SOUTH_ASIA)
    | _words(_FIRST_EAST_ASIA)
    | _words(_FIRST_AFRICA_SEA)
    | _words(_FIRST_MORE)
)
SURNAMES: frozenset[str] = _with_ascii_folds(_words(_SURNAMES))

# First names that may stand alone (no surname, no context) and still count as a person.
UNAMBIGUOUS_FIRST: frozenset[str] = FIRST_NAMES - AMBIGUOUS_FIRST - NON_NAME_WORDS - AMBIGUOUS_SURNAMES
